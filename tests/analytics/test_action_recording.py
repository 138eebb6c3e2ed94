"""The actions record one event per turn, and delete_data removes the person's rows.

Real actions on real rasa-sdk trackers, writing through a real recorder to SQLite and
PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.actions.fallback import ActionHandleFallback
from bot.actions.menu import ActionShowMenu
from bot.actions.privacy import ActionDeleteData
from bot.actions.topics import ActionAnswerTopic
from bot.analytics import schema, service
from bot.analytics.person import person_key
from bot.analytics.recorder import Recorder
from bot.analytics.spool import Spool

KEY = b"analytics-test-key-" + b"k" * 20


@pytest.fixture
def analytics(engine: Engine, tmp_path: Path) -> Iterator[service.Analytics]:
    installed = service.Analytics(Recorder(engine, Spool(tmp_path / "spool.jsonl", 1000)), KEY)
    previous = service.install(installed)
    yield installed
    installed.close()
    service.install(previous)


def tracker(sender: str, intent: str, text: str = "", *, channel: str | None = "telegram",
            slots: dict[str, Any] | None = None, entities: list[dict[str, Any]] | None = None,
            message_id: str | None = None) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9},
              "entities": entities or [], "intent_ranking": [{"name": intent, "confidence": 0.9}],
              "language": "fr", "language_confidence": 0.9, "language_method": "test",
              "language_decisive": True}
    user = {"event": "user", "text": text, "parse_data": latest, "input_channel": channel,
            "message_id": message_id or uuid.uuid4().hex, "metadata": {}}
    values = {"language": None, "country": None, "choices": None, "pending_topic": None,
              "fallback_count": 0.0, **(slots or {})}
    return Tracker(sender, values, latest, [user], False, None, {}, "action_listen")


def rows(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(schema.events)))


async def test_a_topic_answer_records_its_topic_outcome_and_cells(
    analytics: service.Analytics, engine: Engine
) -> None:
    sender = "tg-" + "1" * 32
    await ActionAnswerTopic().run(CollectingDispatcher(), tracker(
        sender, "gbv", "il m'a frappee", slots={"country": "Morocco"}), {})
    assert analytics.recorder.flush()
    [row] = rows(engine)
    assert (row.topic, row.outcome, row.channel, row.language, row.country) == (
        "gbv", "referral", "telegram", "fr", "Morocco")
    assert row.person == person_key(KEY, sender)
    assert row.hour.minute == 0 and row.hour.second == 0


async def test_a_numbered_reply_counts_as_the_topic_it_answered(
    analytics: service.Analytics, engine: Engine
) -> None:
    choices = ["topic:health_rights", "topic:gbv"]
    await ActionHandleFallback().run(CollectingDispatcher(), tracker(
        "sms-" + "2" * 32, "nlu_fallback", "1", channel="sms", slots={"choices": choices},
        entities=[{"entity": "choice", "value": "1"}]), {})
    assert analytics.recorder.flush()
    [row] = rows(engine)
    assert (row.topic, row.outcome, row.channel) == ("health_rights", "answered", "sms")


async def test_a_misunderstood_message_is_an_unanswered_question(
    analytics: service.Analytics, engine: Engine
) -> None:
    await ActionHandleFallback().run(CollectingDispatcher(), tracker(
        "someone", "nlu_fallback", "blablabla", channel="rest"), {})
    assert analytics.recorder.flush()
    [row] = rows(engine)
    assert (row.topic, row.outcome, row.channel) == ("nlu_fallback", "fallback", "rest")


async def test_two_actions_for_one_message_record_it_once(
    analytics: service.Analytics, engine: Engine
) -> None:
    same = tracker("tg-" + "3" * 32, "health_cost", "combien", message_id="m-1")
    await ActionAnswerTopic().run(CollectingDispatcher(), same, {})
    await ActionShowMenu().run(CollectingDispatcher(), same, {})
    assert analytics.recorder.flush()
    assert len(rows(engine)) == 1


async def test_delete_data_removes_every_row_of_the_person_even_still_queued(
    analytics: service.Analytics, engine: Engine
) -> None:
    leaver, stayer = "tg-" + "4" * 32, "tg-" + "5" * 32
    for _ in range(3):
        await ActionAnswerTopic().run(CollectingDispatcher(), tracker(leaver, "hiv_sti"), {})
        await ActionAnswerTopic().run(CollectingDispatcher(), tracker(stayer, "hiv_sti"), {})
    assert analytics.recorder.flush()
    await ActionAnswerTopic().run(CollectingDispatcher(), tracker(leaver, "contraception"), {})
    dispatcher = CollectingDispatcher()  # no flush: the last event is still queued
    await ActionDeleteData().run(dispatcher, tracker(leaver, "delete_data"), {})
    assert dispatcher.messages and dispatcher.messages[0].get("forget") is True
    assert analytics.recorder.flush()
    assert {row.person for row in rows(engine)} == {person_key(KEY, stayer)}
    assert len(rows(engine)) == 3, "the deletion request itself records nothing"
