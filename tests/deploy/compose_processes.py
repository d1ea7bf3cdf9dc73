"""Runs docker-compose.yml's services as local processes: each service's image entry point and
compose command with its image and compose environment, container host names and ports mapped to
127.0.0.1 and free ports, named volumes and tmpfs mounts mapped to temporary directories, started
in depends_on order with each condition (service_healthy, service_completed_successfully) honoured."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.stack import Process, free_port, redis_server_binary
from testing.postgres import PostgresServer, postgres_bin_dir
from tests.deploy.deploy_files import compose, dockerfile, final_env
from tests.deploy.image_tree import assemble_app

IMAGE_ONLY = {"PATH", "HOME"}  # the host's own values are kept for these
POSTGRES_PORT = 5432  # the postgres image's


def image_of(svc: dict[str, Any]) -> str:
    """The Dockerfile a built service runs: deploy/docker/<image>.Dockerfile (the retrain loop runs the trainer's)."""
    return Path(svc["build"]["dockerfile"]).name.removesuffix(".Dockerfile")


@dataclass
class Mapping:
    """Container world → this machine: host names, ports and mount points."""

    hosts: set[str]
    ports: dict[int, int]
    paths: dict[str, Path]  # container path → local directory (longest first when applied)

    def text(self, value: str) -> str:
        if value == "0.0.0.0":  # a bind-all host; service names are mapped only in host:port form
            return "127.0.0.1"
        if value.isdigit() and int(value) in self.ports:
            return str(self.ports[int(value)])
        hosts = "|".join(re.escape(h) for h in sorted(self.hosts | {"0.0.0.0", "127.0.0.1", "localhost"}))
        value = re.sub(rf"\b({hosts}):(\d+)\b",
                       lambda m: f"127.0.0.1:{self.ports.get(int(m[2]), int(m[2]))}", value)
        for container, local in sorted(self.paths.items(), key=lambda kv: -len(kv[0])):
            if value == container or value.startswith(container + "/"):
                return str(local) + value[len(container):]
        return value


@dataclass
class ComposeRun:
    root: Path  # scratch directory for apps, volumes, tmpfs and logs
    config: dict[str, Any] = field(default_factory=compose)
    processes: dict[str, Process] = field(default_factory=dict)
    postgres: PostgresServer | None = None  # the stand-in for the postgres image
    apps: dict[str, Path] = field(default_factory=dict)  # service -> its rebuilt /app
    apps_at_start: dict[str, dict[str, int]] = field(default_factory=dict)  # app_files() before it ran

    def __post_init__(self) -> None:
        services = self.config["services"]
        listening: set[int] = set()
        for svc in services.values():
            if "build" in svc:
                listening |= {int(p) for p in dockerfile(image_of(svc)).final.values("EXPOSE")}
            command = svc.get("command", [])
            if "--port" in command:
                listening.add(int(command[command.index("--port") + 1]))
            if svc.get("image", "").startswith("postgres:"):
                listening.add(POSTGRES_PORT)
        self.volumes = {v: self.root / "volumes" / v for v in self.config.get("volumes", {})}
        for path in self.volumes.values():
            path.mkdir(parents=True)
        self.ports = {port: free_port() for port in sorted(listening)}
        self.logs = self.root / "logs"
        self.logs.mkdir()

    def mapping(self, name: str) -> Mapping:
        """The mapping seen from one service: its own volumes and its own tmpfs."""
        svc = self.config["services"][name]
        paths: dict[str, Path] = {}
        for volume in svc.get("volumes", []):
            source, target = volume.split(":")[:2]
            paths[target] = self.volumes[source]
        for tmpfs in svc.get("tmpfs", []):
            paths[tmpfs] = self.root / "tmpfs" / name / tmpfs.strip("/")
            paths[tmpfs].mkdir(parents=True, exist_ok=True)
        return Mapping(set(self.config["services"]), self.ports, paths)

    def command(self, name: str) -> tuple[list[str], dict[str, str], Path]:
        """argv, environment and working directory of one service, mapped to this machine."""
        svc, m = self.config["services"][name], self.mapping(name)
        env = {k: str(v) for k, v in svc.get("environment", {}).items()}
        if "build" in svc:
            df = dockerfile(image_of(svc))
            env = {**{k: v for k, v in final_env(df).items() if k not in IMAGE_ONLY}, **env}
            argv = df.exec_form("ENTRYPOINT") + (svc.get("command") or df.exec_form("CMD"))
            app_dir = self.root / "images" / name
            app_dir.mkdir(parents=True, exist_ok=True)
            cwd = self.apps[name] = assemble_app(image_of(svc), app_dir)  # the image's WORKDIR /app
            self.apps_at_start[name] = self.app_files(name)
        else:  # a stock image: only redis here, its binary from the machine; loopback only
            assert svc["command"][0] == "redis-server", f"no local stand-in for {svc['image']}"
            argv = [*svc["command"], "--bind", "127.0.0.1", "--dir", "/tmp"]  # its tmpfs, mapped below
            cwd = self.root
        # Container paths are mapped first; the host's own binaries are put in after, because they
        # may themselves live under a mapped prefix such as /tmp (a checkout in /tmp/...).
        argv = [m.text(a) for a in argv]
        if argv[0] == "python":
            argv[0] = sys.executable
        elif argv[0] == "redis-server":
            argv[0] = redis_server_binary()
        return argv, {k: m.text(v) for k, v in env.items()}, cwd

    def healthcheck(self, name: str) -> list[str]:
        """The compose health check (else the image's) as an argv mapped to this machine."""
        svc, m = self.config["services"][name], self.mapping(name)
        test = svc["healthcheck"]["test"] if "healthcheck" in svc else dockerfile(image_of(svc)).healthcheck_cmd()
        assert test and test[0] == "CMD", f"{name}: health check should be exec form ['CMD', ...]"
        argv = [m.text(a) for a in test[1:]]
        if argv[0] == "pg_isready":  # Debian keeps PostgreSQL's programs off PATH
            argv[0] = str(postgres_bin_dir() / "pg_isready")
        argv[0] = sys.executable if argv[0] == "python" else (shutil.which(argv[0]) or argv[0])
        return argv

    def start_postgres(self, name: str) -> Process:
        """The postgres image's stand-in: Debian's server in a temporary directory on the mapped port, with
        the role and database its POSTGRES_USER / _DB ask for (trust authentication on loopback)."""
        env = self.config["services"][name]["environment"]
        self.postgres = PostgresServer().start(port=self.ports[POSTGRES_PORT])
        self.postgres.create_owner(env["POSTGRES_USER"], env["POSTGRES_DB"])
        self.processes[name] = Process(name, self.postgres.proc, self.postgres.dir / "postgres.log")
        return self.processes[name]

    def start(self, name: str) -> Process:
        if self.config["services"][name].get("image", "").startswith("postgres:"):
            return self.start_postgres(name)
        argv, env, cwd = self.command(name)
        log_path = self.logs / f"{name}.log"
        with open(log_path, "ab") as log:
            popen = subprocess.Popen(argv, cwd=cwd, env={**os.environ, **env}, stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.processes[name] = Process(name, popen, log_path)
        return self.processes[name]

    def wait_for(self, name: str, condition: str, timeout: float = 90.0) -> None:
        proc = self.processes[name]
        deadline = time.monotonic() + timeout
        if condition == "service_completed_successfully":
            code = proc.popen.wait(timeout)
            assert code == 0, f"{name} exited {code}:\n{proc.log_tail()}"
            return
        assert condition == "service_healthy", condition
        probe = self.healthcheck(name)
        while time.monotonic() < deadline:
            assert proc.alive(), f"{name} exited {proc.popen.returncode}:\n{proc.log_tail()}"
            if subprocess.run(probe, capture_output=True, timeout=30).returncode == 0:
                return
            time.sleep(0.3)
        raise AssertionError(f"{name} not healthy after {timeout:.0f}s ({probe}):\n{proc.log_tail()}")

    def wait_for_log(self, name: str, text: str, timeout: float = 60.0) -> None:
        proc = self.processes[name]
        deadline = time.monotonic() + timeout
        while text not in proc.log_tail(100_000):
            assert time.monotonic() < deadline, f"{name} never logged {text!r}:\n{proc.log_tail()}"
            time.sleep(0.3)

    def app_files(self, name: str) -> dict[str, int]:
        """relative path -> mtime_ns of every file in a service's /app (to show nothing writes there)."""
        app = self.apps[name]
        return {p.relative_to(app).as_posix(): p.stat().st_mtime_ns for p in app.rglob("*")}

    def order(self) -> list[str]:
        """Services in an order where every depends_on comes first."""
        services, done = self.config["services"], []
        while len(done) < len(services):
            ready = [n for n, s in services.items() if n not in done and set(s.get("depends_on", {})) <= set(done)]
            assert ready, f"depends_on cycle among {set(services) - set(done)}"
            done += sorted(ready)
        return done

    def up(self) -> None:
        """Starts every service once its dependencies meet their conditions, as `docker compose up`."""
        for name in self.order():
            for dependency, rule in self.config["services"][name].get("depends_on", {}).items():
                self.wait_for(dependency, rule["condition"])
            self.start(name)

    def down(self) -> None:
        for proc in reversed(list(self.processes.values())):
            if self.postgres is not None and proc.popen is self.postgres.proc:
                self.postgres.stop()
            else:
                proc.stop()
