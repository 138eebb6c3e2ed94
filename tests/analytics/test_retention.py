"""Old events become counts without person keys; reports over them stay right."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine

from bot.analytics import schema
from bot.analytics.report import build_report
from bot.analytics.retention import roll_up
from tests.analytics.conftest import event, store


def count(engine: Engine, table: schema.Table) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def january_and_february(engine: Engine) -> None:
    """Alice is sensitized in both months, Bob in January (twice), Carol in February."""
    store(engine, [
        event("alice", hour=datetime(2024, 1, 5, 10), language="fr"),
        event("bob", "gbv", "referral", hour=datetime(2024, 1, 6, 11)),
        event("bob", "health_cost", hour=datetime(2024, 1, 20, 9)),
        event("dan", "nlu_fallback", "fallback", hour=datetime(2024, 1, 21, 8)),
        event("alice", hour=datetime(2024, 2, 2, 10), language="fr"),
        event("carol", "hiv_sti", hour=datetime(2024, 2, 14, 15)),
    ])


def test_old_days_are_closed_and_their_events_deleted_counts_kept(engine: Engine) -> None:
    january_and_february(engine)
    before = build_report(engine, date(2024, 1, 1), date(2024, 2, 29), by=("language",),
                          threshold=1)
    result = roll_up(engine, today=date(2024, 6, 1), retention_days=90)
    assert result.days_rolled == 6 and result.events_rolled == 6
    assert count(engine, schema.events) == 0
    inspector = inspect(engine)
    for table in ("analytics_daily", "analytics_uniques"):
        columns = {column["name"] for column in inspector.get_columns(table)}
        assert "person" not in columns and "key_id" not in columns, "aggregates keep no key"
    after = build_report(engine, date(2024, 1, 1), date(2024, 2, 29), by=("language",),
                         threshold=1)
    for key in ("referrals_given", "interactions", "unanswered_questions"):
        assert after.total[key] == before.total[key]
        assert after.basis[key] == "exact"
    assert "daily_counts" in after.sources and "closed_period_uniques" in after.sources


def test_a_closed_month_keeps_its_exact_unique_count(engine: Engine) -> None:
    january_and_february(engine)
    roll_up(engine, today=date(2024, 6, 1), retention_days=90)
    january = build_report(engine, date(2024, 1, 1), date(2024, 1, 31), threshold=1)
    assert january.total["people_sensitized"] == 2  # alice, bob (bob twice: once)
    assert january.basis["people_sensitized"] == "exact"


def test_a_period_spanning_closed_months_is_marked_aggregated(engine: Engine) -> None:
    january_and_february(engine)
    exact = build_report(engine, date(2024, 1, 1), date(2024, 2, 29), threshold=1)
    assert exact.total["people_sensitized"] == 3 and exact.basis["people_sensitized"] == "exact"
    roll_up(engine, today=date(2024, 6, 1), retention_days=90)
    summed = build_report(engine, date(2024, 1, 1), date(2024, 2, 29), threshold=1)
    # alice counts in January and in February: the sum of the months' unique counts
    assert summed.total["people_sensitized"] == 4
    assert summed.basis["people_sensitized"] == "aggregated"
    assert summed.as_dict()["basis"]["interactions"] == "exact"


def test_a_day_is_rolled_only_once_its_month_has_ended(engine: Engine) -> None:
    store(engine, [event("a", hour=datetime(2024, 3, 1, 10)),
                   event("b", hour=datetime(2024, 3, 30, 10))])
    roll_up(engine, today=date(2024, 3, 31), retention_days=1)
    assert count(engine, schema.events) == 2, "March is not over: nothing rolled yet"
    roll_up(engine, today=date(2024, 4, 1), retention_days=1)
    assert count(engine, schema.events) == 0
    march = build_report(engine, date(2024, 3, 1), date(2024, 3, 31), threshold=1)
    assert march.total["people_sensitized"] == 2 and march.basis["people_sensitized"] == "exact"


def test_a_report_mixes_rolled_days_and_recent_events(engine: Engine) -> None:
    store(engine, [event("a", hour=datetime(2024, 1, 10, 10)),
                   event("a", hour=datetime(2024, 4, 20, 10)),
                   event("b", "gbv", "referral", hour=datetime(2024, 4, 21, 10))])
    roll_up(engine, today=date(2024, 4, 30), retention_days=90)
    assert count(engine, schema.events) == 2
    report = build_report(engine, date(2024, 1, 1), date(2024, 4, 30), threshold=1)
    assert report.total["interactions"] == 3 and report.total["referrals_given"] == 1
    assert report.total["people_sensitized"] == 3 and report.basis["people_sensitized"] == (
        "aggregated")
    recent = build_report(engine, date(2024, 4, 1), date(2024, 4, 30), threshold=1)
    assert "closed_period_uniques" not in recent.sources
    assert recent.basis["people_sensitized"] == "exact"


def test_rolling_up_twice_changes_nothing(engine: Engine) -> None:
    january_and_february(engine)
    roll_up(engine, today=date(2024, 6, 1), retention_days=90)
    daily, uniques = count(engine, schema.daily), count(engine, schema.uniques)
    again = roll_up(engine, today=date(2024, 6, 1), retention_days=90)
    assert again.days_rolled == 0
    assert (count(engine, schema.daily), count(engine, schema.uniques)) == (daily, uniques)
