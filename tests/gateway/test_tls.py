"""The gateway talks TLS to the matcher and scorer when GATEWAY_TLS_CA is set (mutual TLS with a client
certificate), against real processes serving TLS; its TLS settings are checked at start-up."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.gateway.settings import GatewaySettings, SettingsError, load_settings
from tests.gateway.conftest import closed_address, run_gateway
from tests.tls_pki import Pki, make_pki, start_tls_service


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_backends(pki, tiny_artifact_root, log_dir) -> Iterator[tuple[str, str]]:
    """(matcher address: TLS, scorer address: mutual TLS), both real processes."""
    matcher, matcher_address = start_tls_service("matcher", tiny_artifact_root, log_dir, pki)
    try:
        scorer, scorer_address = start_tls_service("scorer", tiny_artifact_root, log_dir, pki, mutual=True)
    except Exception:
        matcher.stop()
        raise
    yield matcher_address, scorer_address
    scorer.stop()
    matcher.stop()


def settings(backends: tuple[str, str], redis_url: str, **tls: object) -> GatewaySettings:
    return GatewaySettings(matcher_address=backends[0], scorer_address=backends[1], profiles_address=closed_address(),
                           redis_url=redis_url, **tls)


async def test_the_gateway_serves_over_tls_backends(pki, tls_backends, gateway_redis_url, flush_gateway_db) -> None:
    tls = {"tls_ca": pki.ca, "tls_cert": pki.client_cert, "tls_key": pki.client_key}
    async with run_gateway(settings(tls_backends, gateway_redis_url, **tls)) as gw:
        health = await gw.client.get("/health")
        reply = await gw.client.post("/recommend/titles", json={"movies": ["usual suspects"], "top_k": 3})
    assert health.status_code == 200 and health.json()["dependencies"] == {
        "matcher": "ok", "scorer": "ok", "profiles": "down", "redis": "ok"}
    assert reply.status_code == 200 and len(reply.json()["recommendations"]) == 3


async def test_without_its_certificate_the_mutual_tls_scorer_is_down(pki, tls_backends, gateway_redis_url,
                                                                    flush_gateway_db) -> None:
    async with run_gateway(settings(tls_backends, gateway_redis_url, tls_ca=pki.ca)) as gw:
        health = await gw.client.get("/health")
        reply = await gw.client.post("/recommend/titles", json={"movies": ["usual suspects"]})
    assert health.status_code == 503 and health.json()["dependencies"]["matcher"] == "ok"
    assert health.json()["dependencies"]["scorer"] == "down"
    assert reply.status_code == 503 and "scorer is unavailable" in reply.json()["detail"]


async def test_a_plaintext_gateway_finds_tls_backends_down(tls_backends, gateway_redis_url, flush_gateway_db) -> None:
    async with run_gateway(settings(tls_backends, gateway_redis_url)) as gw:
        health = await gw.client.get("/health")
    assert health.status_code == 503 and health.json()["dependencies"] == {
        "matcher": "down", "scorer": "down", "profiles": "down", "redis": "ok"}


@pytest.mark.parametrize(("values", "says"), [
    ({"tls_cert": "{client_cert}", "tls_key": "{client_key}"}, "GATEWAY_TLS_CERT, GATEWAY_TLS_KEY only apply with TLS"),
    ({"tls_ca": "{ca}", "tls_cert": "{client_cert}"}, "GATEWAY_TLS_CERT is set but GATEWAY_TLS_KEY is not"),
    ({"tls_ca": "{missing}"}, "cannot read the CA certificate (GATEWAY_TLS_CA)"),
    ({"tls_ca": "{ca}", "tls_cert": "{client_cert}", "tls_key": "{server_key}"}, "are not a usable pair"),
    ({"tls_server_name": "matcher"}, "GATEWAY_TLS_SERVER_NAME only applies with TLS"),
])
def test_tls_settings_that_do_not_fit_stop_start_up(pki, tmp_path, values: dict, says: str) -> None:
    paths = {"ca": pki.ca, "client_cert": pki.client_cert, "client_key": pki.client_key,
             "server_key": pki.server_key, "missing": tmp_path / "missing.pem"}
    with pytest.raises(SettingsError) as refused:
        load_settings(**{k: v.format(**{n: str(p) for n, p in paths.items()}) for k, v in values.items()})
    assert says in str(refused.value)


def test_tls_is_off_by_default() -> None:
    assert load_settings().client_tls() is None
