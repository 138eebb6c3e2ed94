"""`migrant-bot report indicators`: the figures of a period, broken down, suppressed.

Periods are whole UTC days, `--from` and `--to` included. Counts (referrals, interactions,
unanswered questions) are read from the daily counts the writer keeps up to date: they are
exact for any period, rolled up or not. People sensitized is a unique count, so it
is read from the events where they are still there, and from the unique counts stored when a
closed month or day was rolled up otherwise (`bot.analytics.retention`). Its `basis` is "exact"
when one source answers for the whole period (the events, or one closed month), and
"aggregated" when it is the sum of several pieces (closed months, closed days, the events after
them): a person reached in two pieces then counts twice.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

from bot.analytics import schema
from bot.analytics.definitions import (
    DEFINITIONS_VERSION,
    DIMENSIONS,
    INDICATOR_KEYS,
    INDICATORS,
    daily_figures,
    is_rights_answer,
)
from bot.analytics.retention import midnight, month_start, next_month, rolled_through
from bot.analytics.suppression import SECONDARY, Cell, primary_label, suppress_table

ADDITIVE = tuple(key for key in INDICATOR_KEYS if key != "people_sensitized")
Group = tuple[str, ...]


class ReportError(ValueError):
    """The request cannot be answered; the message says what to change."""


def parse_day(text: str, option: str) -> date:
    """Return the date of a YYYY-MM-DD option value."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ReportError(f"{option} must be a date written YYYY-MM-DD, e.g. 2024-01-31") from None


def parse_by(text: str | None) -> tuple[str, ...]:
    """Return the dimensions of a --by value ("country,language"), in the order given."""
    if not text:
        return ()
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in DIMENSIONS]
    if unknown:
        raise ReportError(f"--by accepts {', '.join(DIMENSIONS)}; unknown: {', '.join(unknown)}")
    if len(set(names)) != len(names):
        raise ReportError("--by names a dimension twice")
    return names


@dataclass
class IndicatorReport:
    """The figures of one period, already suppressed."""

    start: date
    end: date
    by: tuple[str, ...]
    threshold: int
    rows: list[dict[str, Cell]]
    total: dict[str, Cell]
    basis: dict[str, str]
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Return the report as JSON-ready data."""
        return {
            "period": {"from": self.start.isoformat(), "to": self.end.isoformat(),
                       "timezone": "UTC"},
            "definitions_version": DEFINITIONS_VERSION,
            "definitions": {indicator.key: indicator.definition for indicator in INDICATORS},
            "by": list(self.by),
            "suppression": {"threshold": self.threshold,
                            "below_threshold": primary_label(self.threshold),
                            "hidden_to_protect_a_small_cell": SECONDARY},
            "basis": self.basis,
            "sources": self.sources,
            "notes": self.notes,
            "total": self.total,
            "rows": self.rows,
        }

    def to_json(self) -> str:
        """Return the report as indented JSON."""
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)

    def to_csv(self) -> str:
        """Return one CSV row per group, the total first (its dimensions read "all")."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["from", "to", *self.by, *INDICATOR_KEYS, "people_sensitized_basis",
                         "definitions_version"])
        period = [self.start.isoformat(), self.end.isoformat()]
        for row in [{**{name: "all" for name in self.by}, **self.total}, *self.rows]:
            writer.writerow([*period, *(row[name] for name in self.by),
                             *(row[key] for key in INDICATOR_KEYS),
                             self.basis["people_sensitized"], DEFINITIONS_VERSION])
        return buffer.getvalue()


def build_report(
    engine: Engine, start: date, end: date, by: Sequence[str] = (), threshold: int = 5
) -> IndicatorReport:
    """Compute, combine and suppress the indicators of [start, end] broken down by `by`."""
    if end < start:
        raise ReportError("--to is before --from")
    by = tuple(by)
    figures: dict[Group, dict[str, int]] = defaultdict(lambda: dict.fromkeys(INDICATOR_KEYS, 0))
    totals = dict.fromkeys(INDICATOR_KEYS, 0)
    sources: list[str] = []
    with engine.connect() as connection:
        rolled = rolled_through(connection)
        raw_from = start if rolled is None or rolled < start else rolled + timedelta(days=1)
        _add_daily_counts(connection, start, end, by, figures, totals)
        sources.append("daily_counts")
        pieces = _add_people(connection, start, end, raw_from, by, figures, totals)
        if pieces["events"]:
            sources.append("events")
        if pieces["closed"]:
            sources.append("closed_period_uniques")
        notes = _notes(connection, start, end, rolled)
    exact = pieces["closed"] + pieces["events"] <= 1
    groups = sorted(figures)
    rows = [{**dict(zip(by, group, strict=True)), **figures[group]} for group in groups]
    shown_rows, shown_total = suppress_table(rows, totals, INDICATOR_KEYS, threshold)
    basis = {key: "exact" for key in INDICATOR_KEYS}
    if not exact:
        basis["people_sensitized"] = "aggregated"
        notes.append("people_sensitized is the sum of the unique counts of "
                     f"{pieces['closed'] + pieces['events']} pieces of the period (closed "
                     "months and days, then per-turn events): a person reached in two pieces "
                     "counts twice")
    return IndicatorReport(start, end, by, threshold, shown_rows, shown_total, basis, sources,
                           notes)


def _day_range(column, start: date, end: date):  # type: ignore[no-untyped-def]
    return and_(column >= midnight(start), column < midnight(end + timedelta(days=1)))


def _add_daily_counts(
    connection: Connection, start: date, end: date, by: tuple[str, ...],
    figures: dict[Group, dict[str, int]], totals: dict[str, int],
) -> None:
    daily = schema.daily
    columns = [daily.c[name] for name in by]
    measures = daily_figures(daily.c.outcome, daily.c.events)
    day = _scanned(connection, daily.c.day)
    query = (select(*columns, *(measures[key].label(key) for key in ADDITIVE))
             .where(day >= start, day <= end).group_by(*columns))
    for row in connection.execute(query):
        group = tuple(row[: len(by)])
        for key in ADDITIVE:
            value = int(getattr(row, key) or 0)
            figures[group][key] += value
            totals[key] += value


def _add_people(
    connection: Connection, start: date, end: date, raw_from: date, by: tuple[str, ...],
    figures: dict[Group, dict[str, int]], totals: dict[str, int],
) -> dict[str, int]:
    """Add people sensitized from the fewest pieces; return how many pieces had data."""
    uniques = schema.uniques
    every = [uniques.c[name] == schema.ALL for name in DIMENSIONS]
    whole_months = []
    month = month_start(start)
    while month <= end:
        if month >= start and next_month(month) - timedelta(days=1) <= end:
            whole_months.append(month)
        month = next_month(month)
    closed_months = set(connection.execute(
        select(uniques.c.start).where(uniques.c.period == "month",
                                      uniques.c.start.in_(whole_months), *every)).scalars())
    closed_days = [day for day in _days(start, min(end, raw_from - timedelta(days=1)))
                   if month_start(day) not in closed_months]
    pieces = {"closed": 0, "events": 0}
    wanted = [(uniques.c[name] != schema.ALL) if name in by else (uniques.c[name] == schema.ALL)
              for name in DIMENSIONS]
    conditions = []
    if closed_months:
        conditions.append(and_(uniques.c.period == "month",
                               uniques.c.start.in_(sorted(closed_months))))
    if closed_days:
        conditions.append(and_(uniques.c.period == "day", uniques.c.start.in_(closed_days)))
    if conditions:
        pieces["closed"] = int(connection.execute(
            select(func.count()).select_from(uniques)
            .where(or_(*conditions), *every)).scalar_one())
        columns = [uniques.c[name] for name in by]
        query = (select(*columns, func.sum(uniques.c.people_sensitized))
                 .where(or_(*conditions), *wanted).group_by(*columns))
        for row in connection.execute(query):
            figures[tuple(row[: len(by)])]["people_sensitized"] += int(row[-1] or 0)
        totals["people_sensitized"] += int(connection.execute(
            select(func.coalesce(func.sum(uniques.c.people_sensitized), 0))
            .where(or_(*conditions), *every)).scalar_one())
    raw_days = [day for day in _days(raw_from, end) if month_start(day) not in closed_months]
    if raw_days:
        events = schema.events
        rights = is_rights_answer(events.c.topic, events.c.outcome)
        hour = _scanned(connection, events.c.hour)
        in_range = or_(*(_day_range(hour, first, last) for first, last in _runs(raw_days)))
        columns = [events.c[name] for name in by]
        people = func.count(func.distinct(events.c.person))
        if by:
            query = select(*columns, people).where(in_range, rights).group_by(*columns)
            for row in connection.execute(query):
                figures[tuple(row[: len(by)])]["people_sensitized"] += int(row[-1])
        total = int(connection.execute(select(people).where(in_range, rights)).scalar_one())
        totals["people_sensitized"] += total
        found = total > 0 or connection.execute(
            select(events.c.event_id).where(in_range).limit(1)).first() is not None
        pieces["events"] = int(found)
    return pieces


def _scanned(connection: Connection, column: ColumnElement) -> ColumnElement:
    """Return `column` so that SQLite reads the table in order instead of through its index.

    A report period covers much of the retained rows; SQLite's planner still prefers the index
    on the date, and jumping from index entry to row is four to five times slower than one
    sequential scan. Wrapping the column in coalesce() hides the index from it; PostgreSQL's
    planner chooses well on its own.
    """
    if connection.dialect.name == "sqlite":
        return func.coalesce(column, column)
    return column


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Return the contiguous runs of sorted `days` as (first, last) pairs."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _notes(connection: Connection, start: date, end: date, rolled: date | None) -> list[str]:
    notes = []
    if rolled is not None and start <= rolled:
        notes.append(f"days up to {min(end, rolled).isoformat()} are read from aggregates "
                     "(their per-turn events were rolled up)")
    keys = schema.keys
    used = connection.execute(
        select(func.count()).select_from(keys)
        .where(keys.c.first_hour < midnight(end + timedelta(days=1)),
               keys.c.last_hour >= midnight(start))).scalar_one()
    if used > 1:
        notes.append("the period spans a change of PSEUDONYM_KEY: people_sensitized counts a "
                     "person once per key")
    return notes
