"""The aiohttp transport behind python-telegram-bot, against the fake Bot API over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.aiohttp_request import AiohttpRequest
from bot.server import free_port
from tests.fakes.telegram import FakeTelegram

TOKEN = "123456789:AAFakeTokenForAiohttpTests_abcdefghijk"


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram(TOKEN) as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    telegram_bot = Bot(TOKEN, base_url=f"{fake.url}/bot",
                       request=AiohttpRequest(read_timeout=0.5, write_timeout=0.5))
    await telegram_bot.initialize()
    yield telegram_bot
    await telegram_bot.shutdown()


async def test_messages_and_buttons_arrive_as_the_bot_api_reads_them(
    fake: FakeTelegram, bot: Bot
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Oui", callback_data="1")]])
    sent = await bot.send_message(42, "Bonjour, ça va ? مرحبا", reply_markup=markup)
    assert sent.text == "Bonjour, ça va ? مرحبا" and sent.chat.id == 42
    [params] = fake.sent_messages(42)
    assert params["text"] == "Bonjour, ça va ? مرحبا"
    assert "Oui" in str(params["reply_markup"])
    assert await bot.delete_messages(42, [sent.message_id]) is True


async def test_vendor_errors_keep_python_telegram_bots_classes(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter):
        await bot.send_message(42, "x")
    fake.block(43)
    with pytest.raises(Forbidden):
        await bot.send_message(43, "x")
    fake.fail_next("sendMessage", 400, "Bad Request: chat not found")
    with pytest.raises(BadRequest):
        await bot.send_message(44, "x")


async def test_a_slow_api_times_out_and_a_closed_port_is_a_network_error(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.delay(2.0)
    with pytest.raises(TimedOut):
        await bot.send_message(42, "slow")
    fake.delay(0)
    nowhere = Bot(TOKEN, base_url=f"http://127.0.0.1:{free_port()}/bot",
                  request=AiohttpRequest())
    with pytest.raises(NetworkError) as raised:
        await nowhere.initialize()
    assert not isinstance(raised.value, TimedOut)
    await nowhere.shutdown()


async def test_requests_need_an_initialized_session() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError):
        await request.do_request("http://127.0.0.1:1/x", "POST")
    await request.initialize()
    await request.shutdown()
    await request.shutdown()  # closing twice is harmless
