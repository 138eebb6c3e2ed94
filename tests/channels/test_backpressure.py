"""When too many turns wait, the webhooks push back without losing a message.

The channels run in a real Sanic server in this process (real HTTP on loopback), with a turn
handler that holds every turn until the test lets go, and a limit of two waiting turns.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from twilio.request_validator import RequestValidator

from bot.channels.telegram import RETRY_AFTER_SECONDS, TelegramInput
from bot.channels.twilio import BUSY_TWIML, TwilioInput
from bot.optouts import OptOutStore
from bot.server import free_port
from bot.settings import Settings
from tests.conftest import (
    PUBLIC_BASE_URL,
    SMS_FROM,
    TWILIO_SID,
    TWILIO_TOKEN,
    WEBHOOK_SECRET,
    channel_env,
)
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio

_apps = itertools.count()


class HeldTurns:
    """A stand-in for Rasa's message handler that holds each turn until released."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.release = asyncio.Event()

    async def __call__(self, message: UserMessage) -> None:
        await self.release.wait()
        self.texts.append(message.text or "")


@pytest.fixture
async def served(
    tmp_path: Path, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[str, TelegramInput, TwilioInput, HeldTurns]]:
    settings = Settings.from_env(channel_env(fake_telegram, fake_twilio, tmp_path / "db.sqlite3"))
    optouts = OptOutStore.from_url(settings.database_url)
    telegram = TelegramInput(settings, optouts=optouts)
    twilio = TwilioInput(settings, optouts=optouts)
    held = HeldTurns()
    # Sanic rewrites some of its own methods at each start; in test mode it keeps the
    # originals, so that a second app in this process starts too.
    monkeypatch.setattr(Sanic, "test_mode", True)
    app = Sanic(f"backpressure{next(_apps)}")
    for channel in (telegram, twilio):
        channel.inbox_limit = 2
        app.blueprint(channel.blueprint(held), url_prefix=f"/webhooks/{channel.name()}")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    assert server is not None
    await server.startup()
    try:
        yield f"http://127.0.0.1:{port}", telegram, twilio, held
    finally:
        held.release.set()
        await telegram.stop_worker()
        await twilio.stop_worker()
        await telegram.sender.close()
        await twilio.sender.close()
        server.close()
        await server.wait_closed()


async def post_update(session: aiohttp.ClientSession, base: str, update_id: int,
                      chat_id: int) -> aiohttp.ClientResponse:
    update = {"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "text": f"question {update_id}",
        "chat": {"id": chat_id, "type": "private"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "A"}}}
    async with session.post(f"{base}/webhooks/telegram/webhook", data=json.dumps(update),
                            headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
                                     "Content-Type": "application/json"}) as reply:
        await reply.read()
        return reply


async def post_sms(session: aiohttp.ClientSession, base: str, sid: str, number: str,
                   body: str) -> tuple[int, str]:
    path = "/webhooks/twilio/webhook"
    form = {"AccountSid": TWILIO_SID, "MessageSid": sid, "From": number, "To": SMS_FROM,
            "Body": body, "NumMedia": "0"}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_BASE_URL + path, form)
    async with session.post(f"{base}{path}", data=urllib.parse.urlencode(form),
                            headers={"X-Twilio-Signature": signature, "Content-Type":
                                     "application/x-www-form-urlencoded"}) as reply:
        return reply.status, await reply.text()


async def wait_until(check: Any, timeout: float = 10.0) -> bool:
    for _ in range(int(timeout / 0.02)):
        if check():
            return True
        await asyncio.sleep(0.02)
    return bool(check())


async def test_telegram_gets_503_with_retry_after_and_its_redelivery_is_answered(
    served: tuple[str, TelegramInput, TwilioInput, HeldTurns],
) -> None:
    base, telegram, _, held = served
    async with aiohttp.ClientSession() as session:
        for update_id, chat_id in ((1, 501), (2, 502)):
            assert (await post_update(session, base, update_id, chat_id)).status == 200
        busy = await post_update(session, base, 3, 503)
        assert busy.status == 503
        assert busy.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert telegram.stats.deferred == 1
        held.release.set()
        assert await wait_until(lambda: telegram.backlog == 0)
        # Telegram delivers the same update again: it is new to us, so it is answered.
        assert (await post_update(session, base, 3, 503)).status == 200
        assert await wait_until(lambda: len(held.texts) == 3)
    assert sorted(held.texts) == ["question 1", "question 2", "question 3"]
    assert telegram.stats.duplicates == 0


async def test_a_count_of_the_backlog_begun_before_a_burst_does_not_let_it_past_the_limit(
    served: tuple[str, TelegramInput, TwilioInput, HeldTurns],
) -> None:
    base, telegram, _, _ = served
    first_read, go, second_read, done = (threading.Event() for _ in range(4))
    count_rows = telegram.inbox.backlog

    def lagging_count() -> int:
        """The database's count, returned late the first time and held the second."""
        count = count_rows()
        if not first_read.is_set():
            first_read.set()
            go.wait(10)
        elif not second_read.is_set():
            second_read.set()  # the first count is in `backlog` by now
            done.wait(10)
        return count

    telegram.inbox.backlog = lagging_count  # type: ignore[method-assign]
    try:
        async with aiohttp.ClientSession() as session:
            assert (await post_update(session, base, 1, 501)).status == 200
            assert await wait_until(first_read.is_set)
            assert (await post_update(session, base, 2, 502)).status == 200
            go.set()
            assert await wait_until(second_read.is_set)
            assert telegram.backlog >= 2
            assert (await post_update(session, base, 3, 503)).status == 503
    finally:
        done.set()


async def test_twilio_asks_to_write_again_but_stop_still_goes_through(
    served: tuple[str, TelegramInput, TwilioInput, HeldTurns],
) -> None:
    base, _, twilio, held = served
    async with aiohttp.ClientSession() as session:
        for n in (1, 2):
            status, body = await post_sms(session, base, f"SM{n:032d}", f"+21260000000{n}", "hi")
            assert (status, "<Message>" in body) == (200, False)
        status, body = await post_sms(session, base, "SM" + "3" * 32, "+212600000003", "hi")
        assert (status, body) == (200, BUSY_TWIML)
        assert twilio.stats.deferred == 1
        status, body = await post_sms(session, base, "SM" + "4" * 32, "+212600000004", "STOP")
        assert status == 200 and "<Message>" not in body
        assert twilio.stats.deferred == 1
        held.release.set()
        assert await wait_until(lambda: twilio.backlog == 0)
    assert held.texts.count("hi") == 2
