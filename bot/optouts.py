"""Who asked not to be messaged, by pseudonym.

A person opts out with /stop, STOP (and the other carrier keywords) or by blocking the bot;
a platform that reports a person unreachable (Telegram's 403 "blocked", Twilio's 21610) counts
the same. Broadcasts (a later feature) must skip everyone here. The table keeps the pseudonym,
the channel, why and when (to the hour): nothing that identifies anyone without the key.

The store is synchronous SQLAlchemy 1.4 ("2.0 style"); the channels call it through
`asyncio.to_thread` so the event loop never waits on the database. The table is created by the
Alembic migrations (`bot.migrations`); opening a store brings an older database up to date.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Column, DateTime, MetaData, String, Table, delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.db import create_engine_for
from bot.migrations import ensure_schema

metadata = MetaData()

opt_outs = Table(
    "opt_outs",
    metadata,
    Column("person", String(64), primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("reason", String(16), nullable=False),
    Column("hour", DateTime, nullable=False),
)

REASONS = ("stop", "blocked", "undeliverable")


class OptOutStore:
    """Record and check opt-outs."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        ensure_schema(engine)

    @classmethod
    def from_url(cls, url: str) -> OptOutStore:
        """Open (and create if needed) the store at a SQLAlchemy URL."""
        return cls(create_engine_for(url))

    def mark(self, person: str, channel: str, reason: str) -> None:
        """Record that `person` must not be messaged; idempotent."""
        if reason not in REASONS:
            raise ValueError(f"unknown opt-out reason {reason!r}")
        hour = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0, tzinfo=None)
        with self.engine.begin() as connection:
            if connection.execute(select(opt_outs.c.person)
                                  .where(opt_outs.c.person == person)).first():
                return
            try:
                connection.execute(opt_outs.insert().values(
                    person=person, channel=channel, reason=reason, hour=hour))
            except IntegrityError:  # another worker marked the same person just now
                pass

    def clear(self, person: str) -> None:
        """Forget the opt-out of `person` (they wrote /start or START, or asked to delete)."""
        with self.engine.begin() as connection:
            connection.execute(delete(opt_outs).where(opt_outs.c.person == person))

    def is_opted_out(self, person: str) -> bool:
        """Return True when `person` asked not to be messaged."""
        with self.engine.connect() as connection:
            row = connection.execute(select(opt_outs.c.person)
                                     .where(opt_outs.c.person == person)).first()
        return row is not None

    def opted_out(self, persons: list[str]) -> set[str]:
        """Return those of `persons` who asked not to be messaged."""
        if not persons:
            return set()
        with self.engine.connect() as connection:
            return set(connection.execute(select(opt_outs.c.person)
                                          .where(opt_outs.c.person.in_(persons))).scalars())

    def count(self) -> int:
        """Return how many people opted out."""
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(opt_outs)).scalar_one())
