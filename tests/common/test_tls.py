"""Optional TLS between services: real matcher and scorer processes with throwaway certificates, the typed
clients, the container health probe and the reflection tool; misconfiguration stops start-up clearly."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from scripts.stack import ROOT, free_port
from services.client import NO_RETRY, CallError, MatcherClient, ScorerClient, client_tls
from services.common.settings import SettingsError, load_settings
from services.matcher.settings import MatcherSettings
from tests.tls_pki import Pki, client, make_pki, start_tls_service

pytestmark = pytest.mark.integration  # gRPC servers and channels on loopback


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_matcher(pki, tiny_artifact_root, log_dir) -> Iterator[str]:
    """Address of a matcher process that serves TLS only."""
    proc, address = start_tls_service("matcher", tiny_artifact_root, log_dir, pki)
    yield address
    proc.stop()


@pytest.fixture(scope="module")
def mtls_scorer(pki, tiny_artifact_root, log_dir) -> Iterator[str]:
    """Address of a scorer process that requires client certificates signed by the test CA."""
    proc, address = start_tls_service("scorer", tiny_artifact_root, log_dir, pki, mutual=True)
    yield address
    proc.stop()


async def assert_unavailable(make_client, call) -> None:
    async with make_client() as c:
        with pytest.raises(CallError) as failed:
            await call(c)
        assert not await c.healthy(timeout=1.0)
    assert failed.value.code == grpc.StatusCode.UNAVAILABLE, failed.value


async def test_a_tls_client_calls_the_tls_server(pki, tls_matcher) -> None:
    async with MatcherClient(tls_matcher, tls=client(pki)) as matcher:
        resolved = await matcher.resolve(["usual suspects"])
        assert await matcher.healthy()
    assert resolved.results[0].best.movie.movie_id == 12


async def test_a_plaintext_client_to_a_tls_server_is_unavailable(tls_matcher) -> None:
    await assert_unavailable(lambda: MatcherClient(tls_matcher, retry=NO_RETRY), lambda m: m.resolve(["heat"]))


async def test_a_server_certificate_from_another_ca_is_refused(pki, tls_matcher) -> None:
    wrong = client_tls(pki.other_ca)
    await assert_unavailable(lambda: MatcherClient(tls_matcher, retry=NO_RETRY, tls=wrong),
                             lambda m: m.resolve(["heat"]))


async def test_the_name_checked_in_the_certificate_can_be_set(pki, tls_matcher) -> None:
    async with MatcherClient(tls_matcher, tls=client_tls(pki.ca, server_name="localhost")) as matcher:
        assert (await matcher.suggest("jura")).suggestions
    not_in_cert = client_tls(pki.ca, server_name="matcher.internal")
    await assert_unavailable(lambda: MatcherClient(tls_matcher, retry=NO_RETRY, tls=not_in_cert),
                             lambda m: m.suggest("jura"))


async def test_mutual_tls_lets_in_only_clients_with_a_certificate_from_its_ca(pki, mtls_scorer) -> None:
    async with ScorerClient(mtls_scorer, tls=client(pki, with_cert=True)) as scorer:
        assert (await scorer.recommend([1], top_k=2)).recommendations
    no_cert = client(pki)
    await assert_unavailable(lambda: ScorerClient(mtls_scorer, retry=NO_RETRY, tls=no_cert),
                             lambda s: s.recommend([1]))
    stranger = client_tls(pki.ca, pki.other_client_cert, pki.other_client_key)
    await assert_unavailable(lambda: ScorerClient(mtls_scorer, retry=NO_RETRY, tls=stranger),
                             lambda s: s.recommend([1]))
    await assert_unavailable(lambda: ScorerClient(mtls_scorer, retry=NO_RETRY), lambda s: s.model_info())


def probe(address: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHCHECK_")}
    return subprocess.run([sys.executable, "-m", "services.common.healthcheck", address], cwd=ROOT,
                          env={**clean, **env}, capture_output=True, text=True, timeout=30)


def test_the_health_probe_speaks_tls_when_told_the_ca(pki, tls_matcher, mtls_scorer) -> None:
    plain = probe(tls_matcher)
    assert plain.returncode == 1 and "UNAVAILABLE" in plain.stderr and "HEALTHCHECK_TLS_CA" in plain.stderr
    ok = probe(tls_matcher, HEALTHCHECK_TLS_CA=str(pki.ca))
    assert ok.returncode == 0 and "SERVING (TLS)" in ok.stdout, ok.stderr
    # The probe runs in the server's container: the server's own certificate (clientAuth too) gets it in.
    assert probe(mtls_scorer, HEALTHCHECK_TLS_CA=str(pki.ca)).returncode == 1
    mutual = probe(mtls_scorer, HEALTHCHECK_TLS_CA=str(pki.ca), HEALTHCHECK_TLS_CERT=str(pki.server_cert),
                   HEALTHCHECK_TLS_KEY=str(pki.server_key))
    assert mutual.returncode == 0, mutual.stderr
    by_name = probe(tls_matcher.replace("127.0.0.1", "localhost"), HEALTHCHECK_TLS_CA=str(pki.ca),
                    HEALTHCHECK_TLS_SERVER_NAME="localhost")
    assert by_name.returncode == 0, by_name.stderr
    half = probe(tls_matcher, HEALTHCHECK_TLS_CERT=str(pki.client_cert))
    assert half.returncode == 2 and "HEALTHCHECK_TLS_CA" in half.stderr


def test_the_reflection_tool_lists_a_tls_server(pki, tls_matcher) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "services.client.reflect", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)

    listed = run("--tls-ca", str(pki.ca), tls_matcher, "list")
    assert listed.returncode == 0 and "movierec.v1.Matcher" in listed.stdout.split(), listed.stderr
    assert run(tls_matcher, "list").returncode == 1


def start_matcher(env: dict[str, str], artifact_dir: Path) -> subprocess.CompletedProcess:
    """Runs `python -m services.matcher` with `env`, expecting it to refuse to start."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MATCHER_")}
    return subprocess.run([sys.executable, "-m", "services.matcher"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**clean, "MATCHER_ADDRESS": f"127.0.0.1:{free_port()}",
                                           "MATCHER_ARTIFACT_DIR": str(artifact_dir), **env})


@pytest.mark.parametrize(("env", "says"), [
    ({"MATCHER_TLS_CERT": "{server_cert}"}, "MATCHER_TLS_CERT is set but MATCHER_TLS_KEY is not"),
    ({"MATCHER_TLS_KEY": "{server_key}"}, "MATCHER_TLS_KEY is set but MATCHER_TLS_CERT is not"),
    ({"MATCHER_TLS_CERT": "{missing}", "MATCHER_TLS_KEY": "{server_key}"},
     "cannot read the certificate (MATCHER_TLS_CERT)"),
    ({"MATCHER_TLS_CERT": "{server_cert}", "MATCHER_TLS_KEY": "{directory}"},
     "cannot read the private key (MATCHER_TLS_KEY)"),
    ({"MATCHER_TLS_CERT": "{server_cert}", "MATCHER_TLS_KEY": "{client_key}"}, "are not a usable pair"),
    ({"MATCHER_TLS_CERT": "{server_cert}", "MATCHER_TLS_KEY": "{server_key}", "MATCHER_TLS_CLIENT_CA": "{not_pem}"},
     "client CA (MATCHER_TLS_CLIENT_CA)"),
    ({"MATCHER_TLS_CLIENT_CA": "{ca}"}, "needs the server's own MATCHER_TLS_CERT and MATCHER_TLS_KEY"),
])
def test_misconfigured_tls_stops_start_up_with_a_clear_error(pki, tiny_artifact_root, tmp_path, env, says) -> None:
    (tmp_path / "not.pem").write_text("hello\n")
    paths = {"server_cert": pki.server_cert, "server_key": pki.server_key, "client_key": pki.client_key,
             "ca": pki.ca, "missing": tmp_path / "missing.pem", "directory": tmp_path, "not_pem": tmp_path / "not.pem"}
    done = start_matcher({k: v.format(**{n: str(p) for n, p in paths.items()}) for k, v in env.items()},
                         tiny_artifact_root)
    assert done.returncode == 2, done.stdout[-2000:]
    errors = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert errors and errors[-1]["level"] == "error" and says in errors[-1]["error"], errors


def test_empty_tls_variables_mean_plaintext(monkeypatch) -> None:
    # compose passes ${MATCHER_TLS_CERT:-} through as an empty string
    for name in ("MATCHER_TLS_CERT", "MATCHER_TLS_KEY", "MATCHER_TLS_CLIENT_CA"):
        monkeypatch.setenv(name, "")
    assert load_settings(MatcherSettings).server_tls() is None


def test_settings_read_the_tls_files(pki, monkeypatch) -> None:
    monkeypatch.setenv("MATCHER_TLS_CERT", str(pki.server_cert))
    monkeypatch.setenv("MATCHER_TLS_KEY", str(pki.server_key))
    monkeypatch.setenv("MATCHER_TLS_CLIENT_CA", str(pki.ca))
    tls = load_settings(MatcherSettings).server_tls()
    assert tls is not None and tls.client_ca == pki.ca.read_bytes() and tls.cert_chain == pki.server_cert.read_bytes()
    monkeypatch.setenv("MATCHER_TLS_KEY", str(pki.ca))  # a certificate where the key belongs
    with pytest.raises(SettingsError, match="MATCHER_TLS_CERT/MATCHER_TLS_KEY"):
        load_settings(MatcherSettings)
