"""Shared state in a real Redis server: the MORE buffer, /clear ids, the send limits.

Two objects over one Redis stand for two processes (or machines): what one keeps the other
finds, and a send limit is one bucket for both. Nothing readable about a person is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.shared import RedisChatHistory, RedisPendingMore, RedisRateLimiter, connect
from tests.redis_server import ThrowawayRedis, everything_stored

KEY = b"test-shared-key-" + b"s" * 32


@pytest.fixture
async def clients(redis_server: ThrowawayRedis) -> AsyncIterator[tuple[Any, Any]]:
    first, second = connect(redis_server.url(3)), connect(redis_server.url(3))
    await first.flushdb()
    yield first, second
    await first.flushdb()
    await first.close()
    await second.close()


async def test_the_rest_of_an_answer_kept_by_one_process_is_sent_by_another(
    clients: tuple[Any, Any], redis_server: ThrowawayRedis,
) -> None:
    first, second = RedisPendingMore(clients[0], KEY), RedisPendingMore(clients[1], KEY)
    await first.put("sms-p", "the second half of the answer-ostrich", "fr")
    assert b"ostrich" not in everything_stored(redis_server.url(3)), "encrypted at rest"
    assert await second.take("sms-p") == ("the second half of the answer-ostrich", "fr")
    assert await first.take("sms-p") is None, "taken once"
    await first.put("sms-p", "rest", None)
    await second.forget("sms-p")
    assert await first.take("sms-p") is None
    await first.put("sms-p", "", None)
    assert await clients[0].keys("*") == []


async def test_chat_ids_for_clear_are_shared_and_bounded(
    clients: tuple[Any, Any], redis_server: ThrowawayRedis,
) -> None:
    first = RedisChatHistory(clients[0], per_chat=5)
    second = RedisChatHistory(clients[1], per_chat=5)
    for message_id in range(1, 9):
        await (first if message_id % 2 else second).add("tg-p", message_id)
    everything_stored(redis_server.url(3))  # every key expires
    assert await second.take("tg-p") == [4, 5, 6, 7, 8]
    assert await first.take("tg-p") == []


async def test_one_send_limit_for_every_process(
    clients: tuple[Any, Any], redis_server: ThrowawayRedis,
) -> None:
    """Two processes at 10 a second share one bucket: together they get 10, then wait."""
    first = RedisRateLimiter(clients[0], "telegram", rate=10)
    second = RedisRateLimiter(clients[1], "telegram", rate=10)
    for limiter in (first, second) * 5:
        await asyncio.wait_for(limiter.acquire(), 1)  # the burst: ten at once
    wait_ms = float(await second._script(keys=[second.key], args=[100.0, 10.0, 1.0]))
    assert wait_ms > 0, "the eleventh send, whoever makes it, must wait"
    big = float(await first._script(keys=[first.key], args=[100.0, 10.0, 30.0]))
    assert big > 0, "a request larger than the bucket waits too"
    other = RedisRateLimiter(clients[0], "twilio:+15005550006", rate=10)
    await asyncio.wait_for(other.acquire(), 1)  # another sender has its own bucket
    everything_stored(redis_server.url(3))


async def test_a_conversation_in_redis_is_encrypted_and_read_back(
    redis_server: ThrowawayRedis,
) -> None:
    """Rasa's Redis tracker store, as `serve` configures it: no text readable in Redis."""
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    from bot.server import endpoints_config
    from bot.settings import Settings

    config = endpoints_config(Settings.from_env({"REDIS_URL": redis_server.url(4)}),
                              5055)["tracker_store"]
    store = TrackerStore.create(EndpointConfig.from_dict(config), Domain.empty())
    tracker = DialogueStateTracker.from_events(
        "tg-person", [UserUttered("my zebrafish-umbrella question")])
    await store.save(tracker)
    assert b"zebrafish" not in everything_stored(redis_server.url(4))
    again = await store.retrieve("tg-person")
    assert again is not None and again.latest_message.text == "my zebrafish-umbrella question"
