"""A private PostgreSQL server for tests: Debian's initdb + postgres in a temporary directory, on a free loopback port.

Never the machine's own server (5432): a user's fresh machine does not have one. PostgreSQL refuses to
run as root, so as root the server runs as the `postgres` system user (the Debian package creates it)
in a directory it owns; as anyone else it runs as that user.
"""
from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import psycopg.sql

from scripts.stack import free_port

SERVICE_USER = "postgres"


def postgres_bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and postgres."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError("PostgreSQL's binaries are missing (/usr/lib/postgresql/*/bin/initdb): "
                           "run `bash scripts/setup.sh dev` as root, or `apt-get install postgresql`")
    return Path(found[-1]).parent


class PostgresServer:
    """`start()` → `url(dbname)` / `new_database()` → `stop()`; superuser `postgres`, trust auth on loopback only.
    `halt()` and `restart()` stop and start it again on the same port and data (a database outage)."""

    def __init__(self) -> None:
        self.bin = postgres_bin_dir()
        self.port = 0
        self.dir = Path(tempfile.mkdtemp(prefix="movierec-pg-"))
        self.proc: subprocess.Popen | None = None
        self._names = itertools.count(1)
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam(SERVICE_USER)  # KeyError: the postgresql package is not installed
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self._as_user = ["runuser", "-u", SERVICE_USER, "--"]

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as_user, *args], capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")

    def start(self, timeout: float = 30.0, port: int = 0) -> "PostgresServer":
        """initdb, then the server on `port` (0 = a free one); returns once it accepts connections."""
        self._run(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync", "--no-instructions")
        self.port = port or free_port()
        return self.restart(timeout)

    def restart(self, timeout: float = 30.0) -> "PostgresServer":
        """The server on its data directory and port (again, after `halt()`); returns once it accepts connections."""
        log = open(self.dir / "postgres.log", "ab")
        # Loopback TCP only, the socket in our own directory; everything else is the packaged default.
        self.proc = subprocess.Popen(
            [*self._as_user, str(self.bin / "postgres"), "-D", str(self.dir / "data"), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.dir}",
             "-c", "max_connections=200"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.dsn("postgres"), connect_timeout=2).close()
                return self
            except psycopg.OperationalError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"postgres did not start:\n{self.log_tail()}") from None
                time.sleep(0.1)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return (self.dir / "postgres.log").read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def dsn(self, dbname: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def url(self, dbname: str) -> str:
        """The SQLAlchemy URL of database `dbname` on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def new_database(self, prefix: str = "test") -> str:
        """Creates an empty database with a fresh name and returns its URL."""
        name = f"{prefix}_{next(self._names)}"
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def create_owner(self, user: str, dbname: str) -> None:
        """A login role and a database it owns (what the postgres image's POSTGRES_USER / _DB make)."""
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(psycopg.sql.SQL("CREATE ROLE {} LOGIN").format(psycopg.sql.Identifier(user)))
            conn.execute(psycopg.sql.SQL("CREATE DATABASE {} OWNER {}").format(
                psycopg.sql.Identifier(dbname), psycopg.sql.Identifier(user)))

    def halt(self) -> None:
        """Stops the server ("fast" shutdown: sessions are closed, the data directory is kept for `restart()`)."""
        if self.proc is not None and self.proc.poll() is None:
            # SIGINT is PostgreSQL's "fast" shutdown; sent to the postmaster itself, not to runuser.
            try:
                pid = int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
                os.kill(pid, signal.SIGINT)
            except (OSError, ValueError, IndexError):
                self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self) -> None:
        """Stops the server and deletes its data."""
        self.halt()
        shutil.rmtree(self.dir, ignore_errors=True)
