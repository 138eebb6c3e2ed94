"""The figures the pages show, read from the analytics tables and suppressed like the reports.

Everything a page shows about people comes through `build_report` (the figures of
`migrant-bot report indicators`, small cells already suppressed) or, for the series over time,
from `analytics_daily` (counts per day and cell, no person key) passed through the same
`suppress_table`. A chart never shows a cell the table beside it hides.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.analytics import schema
from bot.analytics.definitions import DIMENSIONS, daily_figures
from bot.analytics.report import IndicatorReport, build_report
from bot.analytics.suppression import Cell, suppress_table

SERIES_KEYS = ("interactions", "unanswered_questions")


def bucket_of(day: date, size: str) -> date:
    """Return the first day of the day, week (Monday) or month `day` falls in."""
    if size == "week":
        return day - timedelta(days=day.weekday())
    if size == "month":
        return day.replace(day=1)
    return day


def bucket_size(start: date, end: date) -> str:
    """Return "day" for up to two months, "week" up to a year, else "month"."""
    days = (end - start).days + 1
    return "day" if days <= 62 else "week" if days <= 366 else "month"


def buckets(start: date, end: date, size: str) -> list[date]:
    """Return every bucket from start to end, in order."""
    found: list[date] = []
    day = start
    while day <= end:
        bucket = bucket_of(day, size)
        if not found or found[-1] != bucket:
            found.append(bucket)
        day += timedelta(days=1)
    return found


def rate(unanswered: Cell, interactions: Cell) -> float | None:
    """Return unanswered / interactions in percent, or None when either is hidden or zero."""
    if isinstance(unanswered, str) or isinstance(interactions, str) or not interactions:
        return None
    return 100.0 * unanswered / interactions


@dataclass
class Series:
    """Counts per bucket (and per group, e.g. language), suppressed."""

    size: str
    labels: list[str]
    groups: list[str]
    cells: dict[tuple[str, str], dict[str, Cell]] = field(default_factory=dict)
    total: dict[str, Cell] = field(default_factory=dict)

    def values(self, group: str, key: str) -> list[Cell]:
        """Return one group's cells of `key`, bucket by bucket."""
        return [self.cells[(label, group)][key] for label in self.labels]

    def rates(self, group: str) -> list[float | None]:
        """Return one group's unanswered rate, bucket by bucket."""
        return [rate(self.cells[(label, group)]["unanswered_questions"],
                     self.cells[(label, group)]["interactions"]) for label in self.labels]


def series(engine: Engine, start: date, end: date, threshold: int,
           by: str | None = None) -> Series:
    """Return interactions and unanswered questions per bucket, optionally per `by` value."""
    if by is not None and by not in DIMENSIONS:
        raise ValueError(f"unknown dimension {by}")
    daily = schema.daily
    group_column = [daily.c[by]] if by else []
    measures = daily_figures(daily.c.outcome, daily.c.events)
    query = (select(daily.c.day, *group_column, measures["interactions"],
                    measures["unanswered_questions"])
             .where(daily.c.day >= start, daily.c.day <= end)
             .group_by(daily.c.day, *group_column))
    size = bucket_size(start, end)
    labels = [bucket.isoformat() for bucket in buckets(start, end, size)]
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(SERIES_KEYS, 0))
    with engine.connect() as connection:
        for row in connection.execute(query):
            day = row[0] if isinstance(row[0], date) else date.fromisoformat(str(row[0]))
            group = str(row[1]) if by else "all"
            cell = counts[(bucket_of(day, size).isoformat(), group)]
            cell["interactions"] += int(row[-2] or 0)
            cell["unanswered_questions"] += int(row[-1] or 0)
    groups = sorted({group for _, group in counts}) or ["all"]
    keys = [(label, group) for label in labels for group in groups]
    rows = [counts.get(key, dict.fromkeys(SERIES_KEYS, 0)) for key in keys]
    total = {name: sum(row[name] for row in rows) for name in SERIES_KEYS}
    shown_rows, shown_total = suppress_table(rows, total, SERIES_KEYS, threshold)
    return Series(size, labels, groups, dict(zip(keys, shown_rows, strict=True)), shown_total)


@dataclass
class Overview:
    """What the overview page shows."""

    report: IndicatorReport
    by: dict[str, IndicatorReport]
    series: Series
    target_progress: Cell | None = None


def overview(engine: Engine, start: date, end: date, threshold: int) -> Overview:
    """Return the period's totals, its breakdowns by each dimension and its series."""
    report = build_report(engine, start, end, (), threshold)
    by = {name: build_report(engine, start, end, (name,), threshold) for name in DIMENSIONS}
    return Overview(report, by, series(engine, start, end, threshold))


def people_sensitized(engine: Engine, start: date, end: date, threshold: int) -> Cell:
    """Return people sensitized over [start, end], as the report shows it."""
    return build_report(engine, start, end, (), threshold).total["people_sensitized"]
