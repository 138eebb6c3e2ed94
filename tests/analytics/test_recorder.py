"""Recording off the reply path: batches, the spool while the database is down, deletions.

"Down" is real: for PostgreSQL the recorder reaches the server through a loopback TCP relay that
the test cuts (connections refused and dropped) and restores; for SQLite another connection
holds the file's exclusive lock.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine, make_url

from bot.analytics import schema
from bot.analytics.recorder import Recorder
from bot.analytics.spool import Event, Forget, Spool
from bot.migrations import upgrade
from bot.server import free_port
from tests.analytics.conftest import event, key


class Relay:
    """A TCP relay on loopback that can be cut and restored, to take a server "down"."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        """Accept and relay connections again."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        with self._lock:
            if self._listener is not None:
                try:  # wakes the thread blocked in accept(), which close() alone does not
                    self._listener.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self._listener.close()
                self._listener = None
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.close()
                except OSError:
                    pass


class Outage:
    """Take one database down and bring it back, whatever its kind."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        self.kind = make_url(url).get_backend_name()
        if self.kind == "postgresql":
            parsed = make_url(url)
            self.relay = Relay(int(parsed.port or 5432))
            self.url = str(parsed.set(port=self.relay.port))
            # a short connect timeout: a cut relay refuses at once anyway
            self.engine = create_engine(self.url, future=True, pool_pre_ping=True,
                                        connect_args={"connect_timeout": 2})
        else:
            self.url = url
            self.engine = create_engine(url, future=True, connect_args={"timeout": 0.2})
            self._holder: sqlite3.Connection | None = None

    @contextmanager
    def down(self) -> Iterator[None]:
        if self.kind == "postgresql":
            self.relay.cut()
        else:
            self._holder = sqlite3.connect(make_url(self.url).database, timeout=5)
            self._holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            if self.kind == "postgresql":
                self.relay.restore()
            else:
                assert self._holder is not None
                self._holder.rollback()
                self._holder.close()


@pytest.fixture
def outage(database_url: str, tmp_path: Path) -> Iterator[Outage]:
    outage = Outage(database_url, tmp_path)
    upgrade(outage.engine)
    yield outage
    outage.engine.dispose()


def stored(engine: Engine) -> list[str]:
    """Return the ids of the stored events."""
    with engine.connect() as connection:
        return list(connection.execute(select(schema.events.c.event_id)).scalars())


def persons(engine: Engine) -> set[int]:
    with engine.connect() as connection:
        return set(connection.execute(select(schema.events.c.person).distinct()).scalars())


def wait_until(condition, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_events_are_written_in_batches_off_the_callers_thread(engine: Engine,
                                                              tmp_path: Path) -> None:
    recorder = Recorder(engine, Spool(tmp_path / "spool.jsonl", 1000))
    events = [event(f"p{i % 7}") for i in range(250)]
    assert all(recorder.record(e) for e in events)
    assert recorder.flush()
    assert sorted(stored(engine)) == sorted(e.event_id for e in events)
    recorder.close()


def test_while_the_database_is_down_events_wait_in_the_spool_and_none_is_lost_or_doubled(
    outage: Outage, tmp_path: Path
) -> None:
    spool_path = tmp_path / "spool.jsonl"
    recorder = Recorder(outage.engine, Spool(spool_path, 10_000), retry_seconds=0.2)
    before = [event("before") for _ in range(5)]
    for e in before:
        recorder.record(e)
    assert recorder.flush()
    during = [event(f"during{i % 3}") for i in range(40)]
    with outage.down():
        started = time.perf_counter()
        for e in during:
            recorder.record(e)
        assert time.perf_counter() - started < 0.5, "recording never waits on the database"
        assert recorder.flush(30)
        assert recorder.spooled == 40 and spool_path.exists()
    assert wait_until(lambda: recorder.spooled == 0), "the spool drains once the database is back"
    after = [event("after") for _ in range(3)]
    for e in after:
        recorder.record(e)
    assert recorder.flush()
    ids = stored(outage.engine)
    assert len(ids) == len(set(ids)) == 48
    assert set(ids) == {e.event_id for e in before + during + after}
    assert not spool_path.exists()
    recorder.close()


def test_replaying_a_spool_twice_counts_nothing_twice(engine: Engine, tmp_path: Path) -> None:
    events = [event("p") for _ in range(10)]
    spool = Spool(tmp_path / "spool.jsonl", 100)
    spool.append(list(events))
    copy = (tmp_path / "spool.jsonl").read_text()
    recorder = Recorder(engine, spool, retry_seconds=0.05)
    assert wait_until(lambda: len(spool) == 0)
    recorder.close()
    # a crash after the commit but before the file was removed: the same file comes back
    (tmp_path / "spool.jsonl").write_text(copy)
    recorder = Recorder(engine, Spool(tmp_path / "spool.jsonl", 100), retry_seconds=0.05)
    assert wait_until(lambda: recorder.spooled == 0)
    recorder.close()
    assert sorted(stored(engine)) == sorted(e.event_id for e in events)
    with engine.connect() as connection:
        counted = connection.execute(select(func.sum(schema.daily.c.events))).scalar_one()
    assert counted == 10, "the daily counts took each event once"


def test_a_full_spool_drops_new_events_and_counts_them(outage: Outage, tmp_path: Path) -> None:
    recorder = Recorder(outage.engine, Spool(tmp_path / "spool.jsonl", 10), retry_seconds=0.2)
    with outage.down():
        for i in range(25):
            recorder.record(event(f"p{i}"))
        assert recorder.flush(30)
        assert recorder.spooled == 10 and recorder.stats()["dropped"] == 15
    assert wait_until(lambda: recorder.spooled == 0)
    assert len(stored(outage.engine)) == 10
    recorder.close()


def test_forgetting_removes_stored_queued_and_spooled_events_of_that_person_only(
    outage: Outage, tmp_path: Path
) -> None:
    spool_path = tmp_path / "spool.jsonl"
    recorder = Recorder(outage.engine, Spool(spool_path, 1000), retry_seconds=0.2)
    for _ in range(3):
        recorder.record(event("leaver"))
        recorder.record(event("stayer"))
    assert recorder.flush()
    with outage.down():
        recorder.record(event("leaver"))
        recorder.record(event("stayer"))
        assert recorder.flush(30)
        assert str(key("leaver")) in spool_path.read_text()
        recorder.forget(key("leaver"))
        assert recorder.flush(30)
        lines = spool_path.read_text().splitlines()
        assert sum('"event"' in line and str(key("leaver")) in line for line in lines) == 0, (
            "the person's spooled events are purged at once")
    assert wait_until(lambda: recorder.spooled == 0)
    assert recorder.flush()
    assert persons(outage.engine) == {key("stayer")}
    # queued behind the deletion: an event recorded before it is never written after it
    recorder.record(event("stayer2"))
    recorder.record(event("leaver2"))
    recorder.forget(key("leaver2"))
    assert recorder.flush()
    assert persons(outage.engine) == {key("stayer"), key("stayer2")}
    recorder.close()


def test_close_writes_what_is_queued(engine: Engine, tmp_path: Path) -> None:
    recorder = Recorder(engine, Spool(tmp_path / "spool.jsonl", 1000))
    for _ in range(100):
        recorder.record(event("p"))
    recorder.close()
    assert len(stored(engine)) == 100
    assert recorder.record(event("p")) is False, "a closed recorder drops, it never raises"


def test_spool_lines_hold_codes_and_keys_only(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.jsonl", 5)
    spool.append([event("abc"), Forget(key("abc"))])
    text = (tmp_path / "spool.jsonl").read_text()
    assert (tmp_path / "spool.jsonl").stat().st_mode & 0o777 == 0o600
    assert set(Spool(tmp_path / "spool.jsonl", 5).read()) == {Forget(key("abc"))}
    assert '"op": "forget"' in text
    assert isinstance(Spool(tmp_path / "other.jsonl", 5).read(), list)
    assert all(not isinstance(op, Event) for op in Spool(tmp_path / "spool.jsonl", 5).read())
