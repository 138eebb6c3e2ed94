"""Analytics stores on SQLite and on a real PostgreSQL server, and events made to order."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.analytics.recorder import apply
from bot.analytics.spool import Event
from bot.db import create_engine_for
from bot.migrations import upgrade
from tests.postgres import ThrowawayPostgres


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind (PostgreSQL skips, saying why, without a server)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'analytics.sqlite3'}"
    postgres: ThrowawayPostgres = request.getfixturevalue("postgres")
    return postgres.create_database()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh database with the newest schema."""
    engine = create_engine_for(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def key(name: str) -> int:
    """Return a stable person key for a readable name ("alice")."""
    return int(hashlib.sha256(name.encode()).hexdigest()[:15], 16)


def event(
    person: str,
    topic: str = "health_rights",
    outcome: str = "answered",
    *,
    hour: datetime = datetime(2024, 3, 10, 12),
    channel: str = "telegram",
    language: str = "en",
    country: str = "Morocco",
    key_id: str = "k0000001",
) -> Event:
    """Return one event of the person named `person`; only what a test cares about is said."""
    return Event(event_id=uuid.uuid4().hex, hour=hour, channel=channel, language=language,
                 country=country, topic=topic, outcome=outcome, person=key(person),
                 key_id=key_id)


def store(engine: Engine, events: list[Event]) -> None:
    """Write events the way the recorder does."""
    with engine.begin() as connection:
        apply(connection, list(events))
