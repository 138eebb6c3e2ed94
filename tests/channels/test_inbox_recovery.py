"""A message a dead process left in the inbox is finished by another, answered once.

Each test leaves a row as a process killed at one moment would (taken under a lease that has
run out, its plan and send counters as they were), then starts a live channel's inbox worker on
the same database file, against the fake Bot API and Twilio (real HTTP on loopback).
"""

from __future__ import annotations

import asyncio
import itertools
import random
from pathlib import Path
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels.telegram import Incoming, TelegramInput
from bot.channels.twilio import Incoming as TwilioIncoming
from bot.channels.twilio import TwilioInput
from bot.db import create_engine_for
from bot.inbox import Inbox
from bot.optouts import OptOutStore
from bot.pseudonym import pseudonym
from bot.settings import Settings
from tests.conftest import PSEUDONYM_KEY, SMS_FROM, channel_env
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio

_ids = itertools.count(random.randrange(10**8, 10**9))


class Turns:
    """Rasa's message handler, standing in: answers "answer to <text>" and counts turns."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def __call__(self, message: UserMessage) -> None:
        self.texts.append(message.text or "")
        await message.output_channel.send_response(
            message.sender_id, {"text": f"answer to {message.text}"})


async def until(check: Any, timeout: float = 10.0) -> bool:
    for _ in range(int(timeout / 0.05)):
        if check():
            return True
        await asyncio.sleep(0.05)
    return bool(check())


@pytest.fixture
def settings(tmp_path: Path, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio) -> Settings:
    fake_telegram.reset()
    fake_twilio.reset()
    return Settings.from_env(channel_env(fake_telegram, fake_twilio, tmp_path / "db.sqlite3"))


def dead_process_row(settings: Settings, channel: str, message: dict[str, Any],
                     plan: dict[str, Any] | None, confirmed: int, in_flight: bool) -> None:
    """Leave a row as a process killed mid-answer leaves it."""
    dead = Inbox(create_engine_for(settings.database_url), PSEUDONYM_KEY.encode(), channel,
                 "dead", lease_seconds=0.05)
    assert dead.add(f"update:{next(_ids)}", message["person"], message)
    [taken] = dead.take(1)
    if plan is None:
        return  # killed during the turn, before its answer was planned
    dead.start_send(taken, 0, plan)  # the plan is stored with the first send
    if confirmed and in_flight:
        dead.start_send(taken, confirmed, None)  # killed while sending number `confirmed`
    elif confirmed:
        dead.confirm_send(taken, confirmed - 1)  # killed between two sends


async def finish(channel: TelegramInput | TwilioInput, turns: Turns) -> None:
    await asyncio.sleep(0.1)  # the dead process's lease runs out
    channel.start_worker(turns)
    try:
        # The stored rows, not the channel's count: that is 0 until the worker first counts.
        assert await until(lambda: channel.inbox.backlog() == 0 and not channel._running)
        await asyncio.sleep(0.3)
    finally:
        await channel.stop_worker()
        await channel.sender.close()


def telegram_message(chat_id: int) -> dict[str, Any]:
    person = pseudonym(PSEUDONYM_KEY.encode(), "telegram", str(chat_id))
    return vars(Incoming(chat_id, person, "text", text="hello", message_id=5))


PLAN = {"sends": [{"text": "part one", "buttons": []},
                  {"text": "part two", "buttons": [["Menu", "1"]]}], "urgent": False}


@pytest.mark.parametrize(("plan", "confirmed", "in_flight", "expected"), [
    (None, 0, False, ["answer to hello"]),
    (PLAN, 0, True, ["part two"]),
    ({**PLAN, "urgent": True}, 0, True, ["part one", "part two"]),
    (PLAN, 1, False, ["part two"]),
    (PLAN, 1, True, []),
    ({**PLAN, "urgent": True}, 1, True, ["part two"]),
], ids=["mid-turn", "first-send-in-flight", "urgent-first-in-flight",
        "first-confirmed", "last-in-flight", "urgent-last-in-flight"])
async def test_telegram_resumes_where_the_dead_process_stopped(
    settings: Settings, fake_telegram: FakeTelegram, plan: dict[str, Any] | None,
    confirmed: int, in_flight: bool, expected: list[str],
) -> None:
    chat_id = next(_ids)
    dead_process_row(settings, "telegram", telegram_message(chat_id), plan, confirmed,
                     in_flight)
    channel = TelegramInput(settings, optouts=OptOutStore.from_url(settings.database_url))
    turns = Turns()
    await finish(channel, turns)
    assert [m["text"] for m in fake_telegram.sent_messages(chat_id)] == expected
    assert turns.texts == (["hello"] if plan is None else []), (
        "a turn whose plan was stored is never run again")
    assert channel.stats.uncertain == (1 if in_flight else 0)


async def test_an_sms_cut_short_before_its_send_is_answered_once_with_more_kept(
    settings: Settings, fake_twilio: FakeTwilio,
) -> None:
    number = f"+2126{next(_ids)}"
    person = pseudonym(PSEUDONYM_KEY.encode(), "sms", number)
    message = vars(TwilioIncoming("sms", number, SMS_FROM, person, "hello"))
    dead_process_row(settings, "twilio", message, None, 0, False)
    channel = TwilioInput(settings, optouts=OptOutStore.from_url(settings.database_url))
    turns = Turns()
    await finish(channel, turns)
    assert [m["Body"] for m in fake_twilio.sent_messages(number)] == ["answer to hello"]
    assert turns.texts == ["hello"]


async def test_a_message_of_another_key_is_dropped_not_retried_forever(
    settings: Settings, fake_telegram: FakeTelegram,
) -> None:
    chat_id = next(_ids)
    other = Inbox(create_engine_for(settings.database_url), b"another-key-" + b"z" * 32,
                  "telegram", "old", lease_seconds=0.05)
    other.add("update:1", "tg-x", telegram_message(chat_id))
    channel = TelegramInput(settings, optouts=OptOutStore.from_url(settings.database_url))
    await finish(channel, Turns())
    assert channel.stats.dropped == 1
    assert fake_telegram.sent_messages(chat_id) == []


async def test_a_clean_stop_lets_a_send_in_flight_finish_and_records_it(
    settings: Settings, fake_telegram: FakeTelegram,
) -> None:
    """Stopped while the vendor is slow to confirm a send, a server waits for it and records
    it, so the server that takes the row next neither repeats it nor has to guess."""
    chat_id = next(_ids)
    message = telegram_message(chat_id)
    stopping = TelegramInput(settings, optouts=OptOutStore.from_url(settings.database_url))
    turns = Turns()
    fake_telegram.delay(1.5)
    try:
        stopping.start_worker(turns)
        assert await stopping.accept(f"update:{next(_ids)}", message["person"], message)
        assert await until(lambda: fake_telegram.calls_to("sendMessage", chat_id))
        await stopping.stop_worker(timeout=0.1)  # the drain ends long before the vendor replies
        await stopping.sender.close()
    finally:
        fake_telegram.delay(0)
    assert stopping.stats.uncertain == 0
    following = TelegramInput(settings, optouts=OptOutStore.from_url(settings.database_url))
    await finish(following, turns)
    assert [m["text"] for m in fake_telegram.sent_messages(chat_id)] == ["answer to hello"]
    assert turns.texts == ["hello"], "the stopped server's turn is not run again"
    assert following.stats.uncertain == 0, "the send was confirmed, not left in doubt"
    assert following.inbox.backlog() == 0, "the row is finished"


async def test_a_message_taken_as_the_stop_begins_is_given_back_not_cut(
    settings: Settings, fake_telegram: FakeTelegram,
) -> None:
    """A webhook's row taken while the server starts to stop is released at once: a turn
    started then would outlive the drain and be cut, unreleased, when the loop closes."""
    chat_id = next(_ids)
    message = telegram_message(chat_id)
    stopping = TelegramInput(settings, optouts=OptOutStore.from_url(settings.database_url))
    turns = Turns()
    stopping.start_worker(turns)
    add_and_take = stopping.inbox.add_and_take

    def slow_add_and_take(*args: Any) -> Any:
        stopping._stopping = True  # the stop begins while the database call is under way
        return add_and_take(*args)

    stopping.inbox.add_and_take = slow_add_and_take  # type: ignore[method-assign]
    try:
        assert await stopping.accept(f"update:{next(_ids)}", message["person"], message)
        assert not stopping._running and turns.texts == []
        assert stopping.inbox.backlog() == 1, "stored, and queued for any server"
    finally:
        await stopping.stop_worker()
        await stopping.sender.close()
    following = TelegramInput(settings, optouts=OptOutStore.from_url(settings.database_url))
    await finish(following, turns)
    assert [m["text"] for m in fake_telegram.sent_messages(chat_id)] == ["answer to hello"]
    assert following.stats.uncertain == 0 and following.inbox.backlog() == 0
