"""Check the fake vendor servers against the real vendor client libraries."""

from __future__ import annotations

import asyncio
import base64
import datetime as dtm
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from tests.fakes.telegram import FakeTelegram, Upload
from tests.fakes.twilio import FakeTwilio

TOKEN = "123456789:AAFakeTokenForEndToEndTests_abcdefghij"
ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-auth-token"
SENDER = "+15005550006"


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram(TOKEN) as fake:
        yield fake


@pytest.fixture
async def bot(fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    telegram_bot = Bot(TOKEN, base_url=f"{fake_telegram.url}/bot")
    await telegram_bot.initialize()
    yield telegram_bot
    await telegram_bot.shutdown()


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture
async def twilio_client(fake_twilio: FakeTwilio) -> AsyncIterator[Client]:
    http_client = AsyncTwilioHttpClient()  # no max_retries: a plain session, never retries
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http_client)
    client.api.base_url = fake_twilio.url
    yield client
    await http_client.close()


def _retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# Telegram


async def test_initialize_calls_get_me(fake_telegram: FakeTelegram, bot: Bot) -> None:
    assert bot.username == "fake_test_bot"
    assert bot.id == 123456789
    assert [call.method for call in fake_telegram.calls] == ["getMe"]


async def test_send_message_with_inline_keyboard(fake_telegram: FakeTelegram, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Oui", callback_data="/affirm"),
                                    InlineKeyboardButton("Non", callback_data="/deny")]])
    first = await bot.send_message(chat_id=42, text="Bonjour, ça va ?", reply_markup=markup)
    second = await bot.send_message(chat_id=42, text="Deuxième")
    other = await bot.send_message(chat_id="77", text="Hi")

    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)
    assert first.chat.id == 42 and first.chat.type == "private"
    assert first.text == "Bonjour, ça va ?"
    assert first.from_user is not None and first.from_user.is_bot
    assert first.reply_markup == markup
    assert second.reply_markup is None

    sent = fake_telegram.sent_messages(chat_id=42)
    assert [params["text"] for params in sent] == ["Bonjour, ça va ?", "Deuxième"]
    assert sent[0]["reply_markup"] == {"inline_keyboard": [[
        {"text": "Oui", "callback_data": "/affirm"},
        {"text": "Non", "callback_data": "/deny"},
    ]]}
    assert len(fake_telegram.calls_to("sendMessage", chat_id="42")) == 2
    assert len(fake_telegram.calls_to("sendMessage", chat_id=77)) == 1
    assert len(fake_telegram.sent_messages()) == 3


async def test_scripted_429_raises_retry_after(fake_telegram: FakeTelegram, bot: Bot) -> None:
    fake_telegram.fail_next("sendMessage", 429, retry_after=7, times=2)
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(chat_id=1, text="hello")
        assert _retry_seconds(caught.value) == 7
    message = await bot.send_message(chat_id=1, text="hello")
    assert message.message_id == 1

    failed = [call for call in fake_telegram.calls_to("sendMessage") if call.status == 429]
    assert len(failed) == 2
    assert failed[0].response["parameters"] == {"retry_after": 7}
    assert failed[0].response["error_code"] == 429
    assert len(fake_telegram.sent_messages(chat_id=1)) == 1


async def test_blocked_chat_raises_forbidden(fake_telegram: FakeTelegram, bot: Bot) -> None:
    fake_telegram.block(5)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(chat_id=5, text="hello")
    assert fake_telegram.calls_to("sendMessage", chat_id=5)[0].status == 403
    assert fake_telegram.sent_messages() == []
    await bot.send_message(chat_id=6, text="still fine")
    assert len(fake_telegram.sent_messages()) == 1


async def test_other_methods(fake_telegram: FakeTelegram, bot: Bot) -> None:
    assert await bot.delete_message(chat_id=3, message_id=9) is True
    assert await bot.delete_messages(chat_id=3, message_ids=[1, 2]) is True
    assert await bot.set_webhook("https://example.org/hook") is True
    assert await bot.delete_webhook() is True
    assert await bot.answer_callback_query("query-id") is True
    assert await bot.edit_message_reply_markup(chat_id=3, message_id=1) is True
    assert fake_telegram.calls_to("deleteMessages")[0].params["message_ids"] == [1, 2]
    assert fake_telegram.calls_to("deleteMessage", chat_id=3)[0].params["message_id"] == "9"
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(chat_id=3, text="")
    with pytest.raises(InvalidToken):  # 404 from an unknown method
        await bot.send_dice(chat_id=3)
    assert fake_telegram.calls[-1].status == 404


async def test_wrong_token_is_unauthorized(fake_telegram: FakeTelegram) -> None:
    other = Bot("999:wrong", base_url=f"{fake_telegram.url}/bot")
    try:
        with pytest.raises(InvalidToken) as caught:
            await other.initialize()
    finally:
        await other.shutdown()
    assert str(caught.value.__cause__) == "Unauthorized"
    assert fake_telegram.calls[-1].status == 401


async def test_json_and_multipart_bodies(fake_telegram: FakeTelegram) -> None:
    url = f"{fake_telegram.url}/bot{TOKEN}/sendMessage"
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    async with httpx.AsyncClient() as client:
        reply = await client.post(url, json={"chat_id": 8, "text": "json", "reply_markup": markup})
        assert reply.status_code == 200
        assert reply.headers["content-type"] == "application/json"
        assert reply.json()["result"]["reply_markup"] == markup
        reply = await client.post(url, data={"chat_id": "8", "text": "multipart é",
                                             "reply_markup": json.dumps(markup)},
                                  files={"document": ("a.txt", b"data", "text/plain")})
        assert reply.status_code == 200
        assert reply.json()["result"]["message_id"] == 2
    first, second = fake_telegram.sent_messages(chat_id=8)
    assert first["chat_id"] == 8 and second["chat_id"] == "8"
    assert second["text"] == "multipart é"
    assert second["reply_markup"] == markup
    assert second["document"] == Upload("a.txt", "text/plain", b"data")


def test_wait_for_clear_and_delay(fake_telegram: FakeTelegram) -> None:
    fake_telegram.delay(0.2)
    request = urllib.request.Request(f"{fake_telegram.url}/bot{TOKEN}/sendMessage",
                                     data=b"chat_id=1&text=hi")
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=5) as reply:
        assert json.load(reply)["ok"] is True
    assert time.monotonic() - started >= 0.2
    calls = fake_telegram.calls
    assert len(calls) == 1 and calls[0].method == "sendMessage"
    assert fake_telegram.wait_for(lambda fake: len(fake.sent_messages()) == 1, timeout=1)
    assert not fake_telegram.wait_for(lambda fake: len(fake.sent_messages()) == 2, timeout=0.05)
    fake_telegram.clear()
    assert fake_telegram.calls == []


# Twilio


async def test_create_message(fake_twilio: FakeTwilio, twilio_client: Client) -> None:
    message = await twilio_client.messages.create_async(to="+15551230001", from_=SENDER,
                                                        body="Hello there")
    assert message.sid is not None and message.sid.startswith("SM") and len(message.sid) == 34
    assert message.account_sid == ACCOUNT_SID
    assert (message.to, message.from_, message.body) == ("+15551230001", SENDER, "Hello there")
    assert message.status == "queued"
    assert message.num_segments == "1" and message.num_media == "0"
    assert message.direction == "outbound-api"
    assert isinstance(message.date_created, dtm.datetime)
    assert message.error_code is None and message.price is None
    assert message.uri == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message.sid}.json"

    fetched = await twilio_client.messages(message.sid).fetch_async()
    assert fetched.body == "Hello there"
    assert fake_twilio.sent_messages(to="+15551230001") == [
        {"To": "+15551230001", "From": SENDER, "Body": "Hello there"}]
    assert [call.method for call in fake_twilio.calls] == ["Messages.create", "Messages.fetch"]


async def test_segments_and_messaging_service(twilio_client: Client) -> None:
    long_gsm = "a" * 161
    arabic = "مرحبا" * 15  # 75 UTF-16 code units: UCS-2, two parts
    service = "MG" + "1" * 32
    first = await twilio_client.messages.create_async(to="+15551230002", from_=SENDER,
                                                      body=long_gsm)
    second = await twilio_client.messages.create_async(
        to="+15551230002", messaging_service_sid=service, body=arabic,
        media_url=["https://example.org/a.png", "https://example.org/b.png"])
    assert first.num_segments == "2"
    assert second.num_segments == "2"
    assert second.num_media == "2"
    assert second.messaging_service_sid == service and second.from_ is None


async def test_unsubscribed_recipient(fake_twilio: FakeTwilio, twilio_client: Client) -> None:
    fake_twilio.unsubscribed("+15551230003")
    with pytest.raises(TwilioRestException) as caught:
        await twilio_client.messages.create_async(to="+15551230003", from_=SENDER, body="hi")
    assert caught.value.status == 400
    assert caught.value.code == 21610
    assert fake_twilio.calls[-1].status == 400
    assert fake_twilio.sent_messages() == []


async def test_scripted_failures(fake_twilio: FakeTwilio, twilio_client: Client) -> None:
    fake_twilio.fail_next(429, 20429, "Too Many Requests", retry_after=3)
    fake_twilio.fail_next(500, times=2)
    with pytest.raises(TwilioRestException) as caught:
        await twilio_client.messages.create_async(to="+15551230004", from_=SENDER, body="hi")
    assert (caught.value.status, caught.value.code) == (429, 20429)
    assert twilio_client.http_client._test_only_last_response.headers["Retry-After"] == "3"
    for _ in range(2):
        with pytest.raises(TwilioRestException) as caught:
            await twilio_client.messages.create_async(to="+15551230004", from_=SENDER,
                                                      body="hi")
        assert caught.value.status == 500
    await twilio_client.messages.create_async(to="+15551230004", from_=SENDER, body="hi")
    assert [call.status for call in fake_twilio.calls] == [429, 500, 500, 201]


async def test_wrong_credentials(fake_twilio: FakeTwilio) -> None:
    http_client = AsyncTwilioHttpClient()
    try:
        client = Client(ACCOUNT_SID, "wrong", http_client=http_client)
        client.api.base_url = fake_twilio.url
        with pytest.raises(TwilioRestException) as caught:
            await client.messages.create_async(to="+15551230005", from_=SENDER, body="hi")
        assert (caught.value.status, caught.value.code) == (401, 20003)

        other_account = "AC" + "9" * 32
        client = Client(ACCOUNT_SID, AUTH_TOKEN, account_sid=other_account,
                        http_client=http_client)
        client.api.base_url = fake_twilio.url
        with pytest.raises(TwilioRestException) as caught:
            await client.messages.create_async(to="+15551230005", from_=SENDER, body="hi")
        assert (caught.value.status, caught.value.code) == (404, 20404)
    finally:
        await http_client.close()


def test_missing_auth_and_validation(fake_twilio: FakeTwilio) -> None:
    url = f"{fake_twilio.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"

    def post(data: bytes, auth: bool = True) -> tuple[int, dict[str, Any]]:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if auth:
            token = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        request = urllib.request.Request(url, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as reply:
                return reply.status, json.load(reply)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    status, body = post(b"To=%2B1555&From=%2B1666&Body=hi", auth=False)
    assert status == 401
    assert body == {"code": 20003, "message": "Authenticate", "status": 401,
                    "more_info": "https://www.twilio.com/docs/errors/20003"}
    assert post(b"From=%2B1666&Body=hi")[1]["code"] == 21604
    assert post(b"To=%2B1555&Body=hi")[1]["code"] == 21603
    assert post(b"To=%2B1555&From=%2B1666")[1]["code"] == 21602
    status, body = post(b"To=%2B1555&From=%2B1666&Body=%E2%82%AC")
    assert status == 201 and body["body"] == "€" and body["num_segments"] == "1"


async def test_calls_are_indexed_by_recipient_and_waiting_wakes_on_each_call(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    woke = threading.Event()

    def wait() -> None:
        if fake_telegram.wait_for(lambda f: len(f.calls_for(42)) == 2, timeout=5):
            woke.set()

    waiter = threading.Thread(target=wait)
    waiter.start()
    await bot.send_message(42, "one")
    await bot.send_message(7, "other")
    assert not woke.is_set()
    await bot.send_message(42, "two")
    await asyncio.to_thread(waiter.join, 5)
    assert woke.is_set()
    assert [c.params["text"] for c in fake_telegram.calls_for(42)] == ["one", "two"]
    assert [c.params["text"] for c in fake_telegram.calls_for("7")] == ["other"]
    assert fake_telegram.wait_for(lambda f: len(f.calls_for(42)) == 3, timeout=0.1) is False
    fake_telegram.reset()
    assert fake_telegram.calls_for(42) == []
