"""Database engines: SQLite by default, PostgreSQL through DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import QueuePool


def create_engine_for(url: str) -> Engine:
    """Return a SQLAlchemy 1.4 engine in 2.0 style for `url`.

    A SQLite file's folder is created; SQLite runs in WAL mode with a busy timeout so the Rasa
    process and the command line can use the same file at once. SQLite file connections are
    pooled (SQLAlchemy 1.4 opens and closes one per transaction by default, which cost the
    analytics writer more than its inserts); each is used by one thread at a time.

    `synchronous=NORMAL`, SQLite's advice for WAL: a commit survives the process crashing, and
    a power cut can lose the last commits but never corrupts the file. With an fsync on every
    commit, this machine's disk made replies several times slower (bench/channels.py, one
    conversation: p95 447 ms against 71 ms).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        if parsed.database and parsed.database != ":memory:":
            engine = create_engine(url, future=True, poolclass=QueuePool, pool_size=4,
                                   connect_args={"timeout": 15, "check_same_thread": False})
        else:
            engine = create_engine(url, future=True, connect_args={"timeout": 15})

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, future=True, pool_pre_ping=True)
