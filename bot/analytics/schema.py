"""The analytics tables, as SQLAlchemy Core tables (Alembic migrations create them).

No table has a free-text column: every string is a code from a closed set (channel, language,
country, topic, outcome) or a keyed digest (person key, key id), and the widths say so.

* `analytics_events`: one row per turn, kept `ANALYTICS_RETENTION_DAYS`; the person key is a
  63-bit integer (keyed hash), which makes unique counts several times faster than text.
* `analytics_daily`: counts per day and cell, no person key, kept up to date by the writer in
  the same transaction as the events (so reports never group raw events for the counts), and
  kept for ever.
* `analytics_uniques`: unique counts of closed days and months per dimension combination
  ("*" = all), computed from the events before they are rolled up; no person key.
* `analytics_keys`: which key (by its fingerprint) was in use when, to flag a report whose
  period spans a key rotation.
* `analytics_state`: named dates, e.g. the last rolled-up day.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

metadata = MetaData()

events = Table(
    "analytics_events",
    metadata,
    Column("event_id", String(32), primary_key=True),
    Column("hour", DateTime, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("language", String(8), nullable=False),
    Column("country", String(16), nullable=False),
    Column("topic", String(32), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("person", BigInteger, nullable=False),
    Column("key_id", String(8), nullable=False),
    Index("ix_analytics_events_hour", "hour"),
    Index("ix_analytics_events_person", "person"),
)

daily = Table(
    "analytics_daily",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("language", String(8), nullable=False),
    Column("country", String(16), nullable=False),
    Column("topic", String(32), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("events", Integer, nullable=False),
    Index("ix_analytics_daily_cell", "day", "channel", "language", "country", "topic", "outcome",
          unique=True),
)

uniques = Table(
    "analytics_uniques",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("period", String(8), nullable=False),  # "day" or "month"
    Column("start", Date, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("language", String(8), nullable=False),
    Column("country", String(16), nullable=False),
    Column("topic", String(32), nullable=False),
    Column("people_sensitized", Integer, nullable=False),
    Index("ix_analytics_uniques_period_start", "period", "start"),
)

keys = Table(
    "analytics_keys",
    metadata,
    Column("key_id", String(8), primary_key=True),
    Column("first_hour", DateTime, nullable=False),
    Column("last_hour", DateTime, nullable=False),
)

state = Table(
    "analytics_state",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("day", Date, nullable=False),
)

#: Marks "every value" of a dimension in `analytics_uniques`.
ALL = "*"
