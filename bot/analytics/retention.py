"""Close old periods into unique counts that keep no person key, then delete their events.

Rule (the README explains it to staff):

* Per-turn events are kept `ANALYTICS_RETENTION_DAYS` days (UTC). A day older than that is rolled
  up only once its whole calendar month has ended, so that the month can be closed first.
* Closing a period stores its unique counts (people sensitized, for every combination of the
  report dimensions, "*" meaning all) in `analytics_uniques`. A month is closed when its first
  day is rolled up (every event of the month is still there then); each day is closed when it
  is rolled up.
* The counts per day and cell (channel, language, country, topic, outcome) are in
  `analytics_daily` already: the writer adds every event to them as it stores it. Rolling a day
  up closes it and deletes its events, in one transaction.
* `analytics_state.rolled_through` is the last rolled-up day: reports read unique counts from
  events after it and from closed periods up to it.
* An event that arrives after its day was rolled up (a spool replayed after a long outage) is
  in the daily counts, and deleted at the next roll-up; the unique counts already stored stay as
  they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import combinations

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection, Engine

from bot.analytics import schema
from bot.analytics.definitions import DIMENSIONS, is_rights_answer
from bot.migrations import ensure_schema

ROLLED_THROUGH = "rolled_through"
DIMENSION_SETS = [combo for size in range(len(DIMENSIONS) + 1)
                  for combo in combinations(DIMENSIONS, size)]


@dataclass
class RollupResult:
    """What a roll-up did."""

    days_rolled: int = 0
    events_rolled: int = 0
    months_closed: int = 0
    rolled_through: date | None = None


def midnight(day: date) -> datetime:
    """Return the start of `day` (naive UTC, as the tables store hours)."""
    return datetime.combine(day, time())


def month_start(day: date) -> date:
    """Return the first day of `day`'s month."""
    return day.replace(day=1)


def next_month(day: date) -> date:
    """Return the first day of the month after `day`'s."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def rolled_through(connection: Connection) -> date | None:
    """Return the last rolled-up day, or None if nothing was ever rolled up."""
    value = connection.execute(select(schema.state.c.day)
                               .where(schema.state.c.name == ROLLED_THROUGH)).scalar()
    return value


def roll_up(engine: Engine, today: date, retention_days: int) -> RollupResult:
    """Close periods and roll up every day that is due; safe to run any number of times."""
    ensure_schema(engine)
    limit = min(today - timedelta(days=retention_days), month_start(today))
    result = RollupResult()
    with engine.connect() as connection:
        hours = connection.execute(select(schema.events.c.hour).distinct()
                                   .where(schema.events.c.hour < midnight(limit))).scalars()
        days = sorted({hour.date() for hour in hours})
    for day in days:
        with engine.begin() as connection:
            if _close(connection, "month", month_start(day), next_month(day)):
                result.months_closed += 1
            _close(connection, "day", day, day + timedelta(days=1))
            result.events_rolled += _roll_day(connection, day)
            result.days_rolled += 1
    with engine.begin() as connection:
        previous = rolled_through(connection)
        through = limit - timedelta(days=1)
        if previous is None or through > previous:
            if previous is None:
                connection.execute(schema.state.insert().values(name=ROLLED_THROUGH, day=through))
            else:
                connection.execute(schema.state.update()
                                   .where(schema.state.c.name == ROLLED_THROUGH)
                                   .values(day=through))
            previous = through
        result.rolled_through = previous
    return result


def _close(connection: Connection, period: str, start: date, end: date) -> bool:
    """Store the period's unique counts unless already stored; return True if stored now."""
    table = schema.uniques
    done = connection.execute(
        select(table.c.id).where(table.c.period == period, table.c.start == start,
                                 *(table.c[name] == schema.ALL for name in DIMENSIONS))
    ).first()
    if done:
        return False
    events = schema.events
    rights = is_rights_answer(events.c.topic, events.c.outcome)
    rows: list[dict[str, object]] = []
    for dims in DIMENSION_SETS:
        columns = [events.c[name] for name in dims]
        query = (select(*columns, func.count(func.distinct(events.c.person)))
                 .where(events.c.hour >= midnight(start), events.c.hour < midnight(end), rights)
                 .group_by(*columns))
        found = connection.execute(query).all()
        if not dims and not found:
            found = [(0,)]  # the "all" row marks the period as closed, even with no one reached
        for found_row in found:
            cells = dict(zip(dims, found_row[:-1], strict=True))
            rows.append({"period": period, "start": start, "people_sensitized": found_row[-1],
                         **{name: cells.get(name, schema.ALL) for name in DIMENSIONS}})
    connection.execute(table.insert(), rows)
    return True


def _roll_day(connection: Connection, day: date) -> int:
    events = schema.events
    in_day = (events.c.hour >= midnight(day), events.c.hour < midnight(day + timedelta(days=1)))
    return int(connection.execute(delete(events).where(*in_day)).rowcount or 0)
