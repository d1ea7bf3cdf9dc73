"""Keeps the local stack running as docker-compose and ECS would: a child that dies is restarted.

Each death is logged with its exit code and log tail and counted; the restart waits a backoff that
doubles with each crash in a row (0.5 s, 1 s, 2 s ... up to 8 s), and a child that then runs for
`stable_seconds` starts again from the shortest wait. The other children keep serving meanwhile (the
gateway answers 503 JSON for what needs the missing one). A child that dies `loop_limit` times within
`loop_window` seconds is a crash loop: poll() reports it, and the runner stops everything.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from scripts.stack import ROOT, Process, Stack


@dataclass
class ChildRecord:
    """What the supervisor knows about one child: its deaths and its pending restart."""

    crashes: deque[float] = field(default_factory=deque)  # monotonic times of deaths in the loop window
    restarts: int = 0  # total, for the log
    in_a_row: int = 0  # deaths without a stable run between them: sets the backoff
    restart_at: float | None = None  # when the pending restart is due
    started_at: float = field(default_factory=time.monotonic)


@dataclass
class Supervisor:
    """Polled by the runner's loop; restarts dead children of `stack` and says when to give up."""

    stack: Stack
    say: Callable[[str], None] = print
    first_backoff: float = 0.5
    max_backoff: float = 8.0
    stable_seconds: float = 30.0
    loop_limit: int = 5
    loop_window: float = 60.0
    children: dict[str, ChildRecord] = field(default_factory=dict)

    def backoff(self, in_a_row: int) -> float:
        return min(self.max_backoff, self.first_backoff * 2 ** (in_a_row - 1))

    def poll(self, now: float | None = None) -> str | None:
        """One pass over the children: records deaths, runs the restarts that are due.
        Returns a message when a child is in a crash loop (the caller then stops the stack)."""
        now = time.monotonic() if now is None else now
        for proc in list(self.stack.processes):
            record = self.children.setdefault(proc.name, ChildRecord(started_at=now))
            if record.restart_at is not None:
                if now >= record.restart_at:
                    self._restart(proc.name, record, now)
            elif not proc.alive():
                verdict = self._died(proc, record, now)
                if verdict:
                    return verdict
        return None

    def _died(self, proc: Process, record: ChildRecord, now: float) -> str | None:
        record.in_a_row = 1 if now - record.started_at >= self.stable_seconds else record.in_a_row + 1
        record.crashes.append(now)
        while record.crashes and record.crashes[0] < now - self.loop_window:
            record.crashes.popleft()
        code = proc.popen.returncode
        tail = proc.log_tail(5)
        if len(record.crashes) >= self.loop_limit:
            return (f"{proc.name} died {len(record.crashes)} times within {self.loop_window:.0f} s (last exit code "
                    f"{code}): a crash loop, so the stack stops. Its last log lines ({proc.log_path}):\n{tail}")
        wait = self.backoff(record.in_a_row)
        record.restart_at = now + wait
        self.say(f"{proc.name} exited with code {code}; restarting it in {wait:g} s "
                 f"(crash {len(record.crashes)} within {self.loop_window:.0f} s; the others keep running). "
                 f"Last log lines:\n{tail}")
        return None

    def _restart(self, name: str, record: ChildRecord, now: float) -> None:
        record.restart_at = None
        record.restarts += 1
        record.started_at = now
        try:
            self.stack.launch(name)
        except OSError as exc:  # e.g. the binary vanished: counts as another death on the next poll
            self.say(f"{name} could not be started: {exc}")
            return
        self.say(f"{name} restarted (restart {record.restarts})")

    @property
    def restarts(self) -> dict[str, int]:
        """Restarts so far, by child."""
        return {name: record.restarts for name, record in self.children.items()}


def main() -> int:
    """Runs the whole stack in the foreground, supervised, until Ctrl-C/SIGTERM (scripts/run.sh)."""
    artifact_dir = Path(os.environ.get("ARTIFACT_DIR", ROOT / "artifacts")).resolve()
    log_dir = Path(os.environ.get("LOG_DIR", ROOT / ".cache" / "logs")).resolve()
    log_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(artifact_dir, log_dir,
                  redis_port=int(os.environ.get("REDIS_PORT", 0)) or 0,
                  redis_maxmemory=os.environ.get("REDIS_MAXMEMORY", "256mb"),
                  matcher_port=int(os.environ.get("MATCHER_PORT", 50051)),
                  scorer_port=int(os.environ.get("SCORER_PORT", 50052)),
                  gateway_port=int(os.environ.get("GATEWAY_PORT", 8000)))
    stop_requested = False

    def on_signal(signum, _frame):
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    supervisor = Supervisor(stack, say=lambda line: print(line, flush=True))
    try:
        for step in ("redis", "matcher", "scorer", "gateway"):
            print(f"starting {step} ...", flush=True)
            stack.start_redis() if step == "redis" else stack.start_service(step)
        with urllib.request.urlopen(stack.gateway_url + "/health", timeout=2) as reply:
            health = json.loads(reply.read())
        print(f"\nMovie recommender is up: {stack.gateway_url}/  (model {health.get('model_version')})")
        print(f"logs in {log_dir}; a process that dies is restarted; press Ctrl-C to stop\n", flush=True)
        while not stop_requested:
            verdict = supervisor.poll()
            if verdict:
                print(f"error: {verdict}", file=sys.stderr, flush=True)
                return 1
            time.sleep(0.2)
        return 0
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        restarts = {name: n for name, n in supervisor.restarts.items() if n}
        print(f"stopping ... (restarts: {json.dumps(restarts) if restarts else 'none'})", flush=True)
        stack.stop()
        print("stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
