"""scripts/audit.py runs the real pip-audit; an OSV-protocol server on loopback stands in for the advisory
database (api.osv.dev is not reachable from the development machines, and pypi.org here has no
per-version JSON), so each outcome is produced on purpose: clean, vulnerable, unreachable, broken."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scripts.audit import ROOT, batches, read_pins
from scripts.stack import free_port

pytestmark = pytest.mark.integration  # runs the trainer, pip or linters as processes, or local HTTP servers

# A made-up advisory (ids that cannot be mistaken for a real one) in OSV's schema.
ADVISORY = {
    "id": "PYSEC-0000-TEST1", "aliases": ["CVE-0000-00001"], "summary": "test advisory: template injection",
    "affected": [{"package": {"name": "jinja2", "ecosystem": "PyPI"},
                  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.1.3"}]}]}],
}


class OsvStandIn(ThreadingHTTPServer):
    """POST /v1/query like api.osv.dev: `advisories[(name, version)]` is the answer, else no vulns."""

    def __init__(self, advisories: dict[tuple[str, str], list[dict]], status: int = 200) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.advisories = advisories
        self.status = status
        self.queries: list[tuple[str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1/query"


class _Handler(BaseHTTPRequestHandler):
    server: OsvStandIn

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        query = json.loads(self.rfile.read(int(self.headers["content-length"])))
        key = (query["package"]["name"], query["version"])
        self.server.queries.append(key)
        body = json.dumps({"vulns": self.server.advisories[key]} if key in self.server.advisories else {}).encode()
        self.send_response(self.server.status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def osv() -> Iterator[OsvStandIn]:
    server = OsvStandIn({("jinja2", "2.11.2"): [ADVISORY]})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def run_audit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scripts.audit", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def requirements(tmp_path: Path, text: str, name: str = "requirements.txt") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_known_vulnerability_fails_and_names_package_version_advisory_and_fix(tmp_path, osv) -> None:
    pins = requirements(tmp_path, "jinja2==2.11.2\nsix==1.17.0\n")
    done = run_audit("-r", str(pins), "--service", "osv", "--osv-url", osv.url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED: 1 known vulnerability in 1 package(s)" in done.stdout
    assert "jinja2==2.11.2  PYSEC-0000-TEST1 (CVE-0000-00001)  fixed in: 3.1.3" in done.stdout
    assert "six" not in done.stdout.split("FAILED", 1)[1]
    assert sorted(osv.queries) == [("jinja2", "2.11.2"), ("six", "1.17.0")]


def test_clean_pins_pass_and_say_how_many_were_checked(tmp_path, osv) -> None:
    done = run_audit("-r", str(requirements(tmp_path, "jinja2==3.1.6\nsix==1.17.0\n")),
                     "--service", "osv", "--osv-url", osv.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: 2 package versions checked, no known vulnerabilities" in done.stdout


def test_an_unreachable_service_is_reported_and_fails_only_when_required(tmp_path) -> None:
    pins = str(requirements(tmp_path, "jinja2==2.11.2\n"))
    closed = f"http://127.0.0.1:{free_port()}/v1/query"
    done = run_audit("-r", pins, "--service", "osv", "--osv-url", closed)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "AUDIT DID NOT RUN" in done.stdout and "Connection refused" in done.stdout
    assert "OK" not in done.stdout and "FAILED" not in done.stdout
    required = run_audit("-r", pins, "--service", "osv", "--osv-url", closed, "--require")
    assert required.returncode == 3 and "AUDIT DID NOT RUN" in required.stdout


def test_a_service_error_is_not_mistaken_for_a_clean_audit(tmp_path) -> None:
    server = OsvStandIn({}, status=503)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        pins = str(requirements(tmp_path, "six==1.17.0\n"))
        done = run_audit("-r", pins, "--service", "osv", "--osv-url", server.url)
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0 and "AUDIT DID NOT RUN" in done.stdout and "OK:" not in done.stdout


def test_two_versions_of_one_package_are_both_audited(tmp_path, osv) -> None:
    # The serving and trainer locks may pin different versions; pip-audit refuses both in one run.
    serving = requirements(tmp_path, "jinja2==3.1.6\n", "serving.txt")
    trainer = requirements(tmp_path, "Jinja2==2.11.2 \\\n    --hash=sha256:00\n", "trainer.txt")
    done = run_audit("-r", str(serving), "-r", str(trainer), "--service", "osv", "--osv-url", osv.url)
    assert done.returncode == 1 and "jinja2==2.11.2  PYSEC-0000-TEST1" in done.stdout
    assert sorted(osv.queries) == [("jinja2", "2.11.2"), ("jinja2", "3.1.6")]


def test_a_missing_requirements_file_is_a_usage_error(tmp_path) -> None:
    done = run_audit("-r", str(tmp_path / "nope.txt"))
    assert done.returncode == 2 and "cannot read" in done.stderr


def test_pins_are_read_through_r_files_with_extras_hashes_and_comments(tmp_path) -> None:
    requirements(tmp_path, "# runtime\nmoto[server]==5.2.5  # why\nPyYAML==6.0.2 \\\n    --hash=sha256:ab\n",
                 "base.txt")
    top = requirements(tmp_path, "-r base.txt\nnumpy==2.4.6\nunpinned>=1\n-r base.txt\n")
    pins = read_pins(top)
    assert pins == {"moto": {"5.2.5"}, "pyyaml": {"6.0.2"}, "numpy": {"2.4.6"}}
    assert batches({"a": {"1", "2"}, "b": {"3"}}) == [["a==1", "b==3"], ["a==2"]]


def test_the_default_files_cover_the_image_locks() -> None:
    pins = {}
    for name in ("requirements.txt", "deploy/locks/serving.txt", "deploy/locks/trainer.txt"):
        pins.update(read_pins(ROOT / name))
    # transitive pins of the locks (starlette comes with fastapi) and the top-level ones
    assert {"fastapi", "starlette", "grpcio", "numba", "grpcio-tools"} <= set(pins)
