"""Each indicator on a known set of events, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.engine import Engine

from bot.analytics.report import build_report
from tests.analytics.conftest import event, store

MARCH = (date(2024, 3, 1), date(2024, 3, 31))


def figures(engine: Engine, by: tuple[str, ...] = (), threshold: int = 1,
            period: tuple[date, date] = MARCH) -> tuple[dict, list[dict]]:
    report = build_report(engine, *period, by=by, threshold=threshold)
    return report.total, report.rows


def test_people_sensitized_counts_each_person_once_and_only_for_rights_answers(
    engine: Engine,
) -> None:
    store(engine, [
        event("alice", "health_rights"), event("alice", "health_cost"),  # one person, twice
        event("bob", "gbv", "referral"),  # protection topics are rights answers too
        event("carol", "contraception"),
        event("dan", "find_health_service"),  # practical, not a right
        event("erin", "greet"), event("frank", "vaccination"),
        event("gina", "nlu_fallback", "fallback"),
        event("hana", "health_rights", "fallback"),  # not understood: nothing was received
        event("ivan", "emergency", "emergency"),  # a referral, not a rights answer
    ])
    total, _ = figures(engine)
    assert total["people_sensitized"] == 3


def test_referrals_count_protection_human_help_and_emergency_answers(engine: Engine) -> None:
    store(engine, [
        event("a", "gbv", "referral"), event("a", "gbv", "referral"),  # each answer counts
        event("b", "trafficking", "referral"), event("c", "child_protection", "referral"),
        event("d", "mental_health", "referral"), event("e", "human_help", "human"),
        event("f", "emergency", "emergency"), event("g", "health_rights"),
        event("h", "nlu_fallback", "fallback"),
    ])
    total, _ = figures(engine)
    assert total["referrals_given"] == 7


def test_interactions_and_unanswered_questions_by_topic_and_language(engine: Engine) -> None:
    store(engine, [
        event("a", "health_cost", language="fr"), event("a", "nlu_fallback", "fallback",
                                                        language="fr"),
        event("b", "nlu_fallback", "fallback", language="ar"),
        event("c", "out_of_scope", "fallback", language="ar"),
        event("d", "health_cost", language="ar"),
    ])
    total, rows = figures(engine, by=("topic", "language"))
    assert (total["interactions"], total["unanswered_questions"]) == (5, 3)
    cells = {(r["topic"], r["language"]): (r["interactions"], r["unanswered_questions"])
             for r in rows}
    assert cells == {("health_cost", "ar"): (1, 0), ("health_cost", "fr"): (1, 0),
                     ("nlu_fallback", "ar"): (1, 1), ("nlu_fallback", "fr"): (1, 1),
                     ("out_of_scope", "ar"): (1, 1)}


def test_the_period_is_whole_utc_days_both_ends_included(engine: Engine) -> None:
    store(engine, [
        event("early", hour=datetime(2024, 2, 29, 23)),
        event("first", hour=datetime(2024, 3, 1, 0)),
        event("last", hour=datetime(2024, 3, 31, 23)),
        event("late", hour=datetime(2024, 4, 1, 0)),
    ])
    total, _ = figures(engine)
    assert total["people_sensitized"] == 2 and total["interactions"] == 2


def test_breakdowns_by_country_and_channel(engine: Engine) -> None:
    store(engine, [
        *(event(f"m{i}", country="Morocco", channel="sms") for i in range(6)),
        *(event(f"t{i}", country="Tunisia", channel="telegram") for i in range(7)),
        event("u", country="unknown", channel="rest"),
    ])
    total, rows = figures(engine, by=("country", "channel"))
    assert total["people_sensitized"] == 14
    assert [(r["country"], r["channel"], r["people_sensitized"]) for r in rows] == [
        ("Morocco", "sms", 6), ("Tunisia", "telegram", 7), ("unknown", "rest", 1)]


def test_small_cells_are_suppressed_in_the_report(engine: Engine) -> None:
    store(engine, [
        *(event(f"m{i}", country="Morocco") for i in range(20)),
        *(event(f"t{i}", country="Tunisia") for i in range(9)),
        *(event(f"e{i}", country="Egypt") for i in range(2)),
    ])
    report = build_report(engine, *MARCH, by=("country",), threshold=5)
    people = {row["country"]: row["people_sensitized"] for row in report.rows}
    assert people["Egypt"] == "<5"
    assert "x" in people.values(), "another cell hides Egypt from total minus the rest"
    assert report.total["people_sensitized"] == 31
    data = report.as_dict()
    assert data["suppression"]["threshold"] == 5


def test_a_key_rotation_inside_the_period_is_flagged(engine: Engine) -> None:
    store(engine, [event("a", key_id="old00000", hour=datetime(2024, 3, 2, 9)),
                   event("b", key_id="new00000", hour=datetime(2024, 3, 20, 9))])
    assert any("PSEUDONYM_KEY" in note for note in build_report(engine, *MARCH).notes)
    assert not build_report(engine, date(2024, 3, 15), date(2024, 3, 31)).notes, (
        "a period starting after the rotation is clean")
