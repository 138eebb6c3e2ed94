"""A throwaway PostgreSQL server on loopback, from Debian's binaries, for tests and benches.

`ThrowawayPostgres.start()` runs initdb and pg_ctl from /usr/lib/postgresql/<version>/bin in a
temporary folder, listening on 127.0.0.1 and a free port, with trust authentication (only this
machine's loopback can reach it, and it lives as long as the test session). PostgreSQL refuses to
run as root, so as root it runs as the `postgres` user the Debian package creates (or `nobody`).
`start()` raises `PostgresUnavailable` with the reason when no server can be started; the tests
then skip with that reason.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from bot.server import free_port


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server can be started here; the message says why."""


def _binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit()
                   else 0)
    if not found:
        raise PostgresUnavailable("PostgreSQL server binaries not found (install Debian's "
                                  "'postgresql' package; .ci/run does)")
    return Path(found[-1]).parent


class ThrowawayPostgres:
    """One PostgreSQL server for a test session."""

    def __init__(self) -> None:
        self.port = 0
        self.folder: Path | None = None
        self._user: str | None = None

    def start(self) -> ThrowawayPostgres:
        """Initialise a cluster and start the server; raise PostgresUnavailable if impossible."""
        binaries = _binaries()
        self.folder = Path(tempfile.mkdtemp(prefix="migrant-bot-pg-"))
        data = self.folder / "data"
        if os.geteuid() == 0:
            self._user = next((name for name in ("postgres", "nobody") if _user_exists(name)),
                              None)
            if self._user is None:
                raise PostgresUnavailable("running as root and no 'postgres' user to run as")
            entry = pwd.getpwnam(self._user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self.port = free_port()
        log = self.folder / "server.log"
        try:
            self._run([str(binaries / "initdb"), "-D", str(data), "-U", "postgres",
                       "--auth=trust", "--encoding=UTF8", "--no-sync"])
            self._run([str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
                       "-t", "60", "-o",
                       f"-c listen_addresses=127.0.0.1 -p {self.port} "
                       f"-c unix_socket_directories={self.folder} -c fsync=off "
                       "-c full_page_writes=off -c synchronous_commit=off", "start"])
        except (OSError, subprocess.CalledProcessError) as error:
            detail = log.read_text(errors="replace")[-500:] if log.exists() else ""
            self.stop()
            raise PostgresUnavailable(f"PostgreSQL did not start ({error}) {detail}") from None
        return self

    def url(self, database: str = "postgres") -> str:
        """Return the SQLAlchemy URL of `database` on this server."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """Create a fresh, empty database; return its URL."""
        from sqlalchemy import create_engine, text

        name = f"test_{uuid.uuid4().hex[:12]}"
        engine = create_engine(self.url(), future=True, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))  # name made above, not input
        engine.dispose()
        return self.url(name)

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        if self.folder is None:
            return
        data = self.folder / "data"
        if (data / "postmaster.pid").exists():
            try:
                self._run([str(_binaries() / "pg_ctl"), "-D", str(data), "-m", "immediate",
                           "-w", "stop"])
            except (OSError, subprocess.CalledProcessError, PostgresUnavailable):
                pass
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    def _run(self, command: list[str]) -> None:
        if self._user is not None:
            command = ["runuser", "-u", self._user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120,
                       cwd=self.folder)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """Terminate a server the tests started, killing it after 10 s (Redis, nginx)."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for_port(port: int, timeout: float = 10.0) -> bool:
    """Return True once something accepts connections on 127.0.0.1:`port`."""
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False
