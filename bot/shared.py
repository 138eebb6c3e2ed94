"""State the channels share across processes and machines, in Redis, when REDIS_URL is set.

Without `REDIS_URL` one process holds these in memory (`bot.channels.base.PendingMore`,
`bot.channels.telegram.ChatHistory`, `bot.channels.base.RateLimiter`), which is right for one
machine and one process. With it, every `serve` process on every machine sees the same:

* **the MORE buffer** (`RedisPendingMore`): the rest of a cut SMS answer, by pseudonym, for a
  day, encrypted with the inbox's key (it is the assistant's words, but it tells the topic);
* **Telegram's /clear message ids** (`RedisChatHistory`): by pseudonym, 48 hours;
* **the send limits** (`RedisRateLimiter`): one bucket per limit (the bot's 30 messages a
  second, each Twilio sender's pace) whatever the number of servers, as a GCRA in one Lua
  script run on Redis's own clock, so machines with drifting clocks agree.

Rasa itself keeps its conversations (the Redis tracker store, with an expiry) and its
per-conversation locks (Rasa's `RedisLockStore`: one turn at a time per conversation across
processes) in the same Redis; `bot.server.endpoints_config` sets both. De-duplication of
vendor message ids needs no Redis: the inbox's unique keyed hash does it in the database, on
every machine and across restarts.

Keys hold pseudonyms only, never a chat id, a number or a message's text, and every key
expires.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from bot.inbox import inbox_key

PREFIX = "migrant-bot"
MORE_SECONDS = 24 * 3600
HISTORY_SECONDS = 47 * 3600  # Telegram allows deleting for 48 h; keep a margin
HISTORY_PER_CHAT = 300

#: Generic cell rate algorithm: `tat` is when the bucket will be empty again. A request of
#: `cost` tokens is allowed when it leaves `tat` at most `burst` intervals ahead of now (or
#: `cost` intervals for a request larger than the bucket, which then waits for a full one and
#: leaves it in debt, so the average rate holds). Returns 0, or the milliseconds to wait.
GCRA = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + tonumber(now_parts[2]) / 1000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + cost * interval
local allowed = math.max(burst, cost) * interval
if new_tat - now > allowed then
  return tostring(new_tat - now - allowed)
end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(new_tat - now) + 1000)
return '0'
"""


def connect(url: str) -> Any:
    """Return a redis-py asyncio client for `url` (made inside the running event loop)."""
    import redis.asyncio

    return redis.asyncio.from_url(url, socket_timeout=5, socket_connect_timeout=5,
                                  health_check_interval=30)


class RedisPendingMore:
    """The rest of a cut answer, by pseudonym, shared by every process (see `PendingMore`)."""

    def __init__(self, client: Any, pseudonym_key: bytes,
                 ttl_seconds: int = MORE_SECONDS) -> None:
        self.client = client
        self.ttl = ttl_seconds
        self._fernet = Fernet(inbox_key(pseudonym_key))

    @staticmethod
    def _key(person: str) -> str:
        return f"{PREFIX}:more:{person}"

    async def put(self, person: str, rest: str, language: str | None) -> None:
        """Keep `rest` for `person` (an empty rest forgets what was kept)."""
        if not rest:
            await self.forget(person)
            return
        token = self._fernet.encrypt(json.dumps([rest, language]).encode())
        await self.client.set(self._key(person), token, ex=self.ttl)

    async def take(self, person: str) -> tuple[str, str | None] | None:
        """Return and forget (rest, language) for `person`, or None."""
        async with self.client.pipeline(transaction=True) as pipe:
            token, _ = await pipe.get(self._key(person)).delete(self._key(person)).execute()
        if token is None:
            return None
        try:
            rest, language = json.loads(self._fernet.decrypt(token))
        except (InvalidToken, ValueError):
            return None
        return str(rest), language

    async def forget(self, person: str) -> None:
        """Drop what is kept for `person`."""
        await self.client.delete(self._key(person))


class RedisChatHistory:
    """Message ids of each Telegram chat, by pseudonym, for /clear (see `ChatHistory`)."""

    def __init__(self, client: Any, per_chat: int = HISTORY_PER_CHAT,
                 ttl_seconds: int = HISTORY_SECONDS) -> None:
        self.client = client
        self.per_chat = per_chat
        self.ttl = ttl_seconds

    @staticmethod
    def _key(person: str) -> str:
        return f"{PREFIX}:history:{person}"

    async def add(self, person: str, message_id: int) -> None:
        """Remember a message of this chat."""
        key = self._key(person)
        async with self.client.pipeline(transaction=True) as pipe:
            await (pipe.rpush(key, f"{int(message_id)}:{time.time():.0f}")
                   .ltrim(key, -self.per_chat, -1).expire(key, self.ttl).execute())

    async def take(self, person: str) -> list[int]:
        """Return and forget the ids that may still be deleted."""
        key = self._key(person)
        async with self.client.pipeline(transaction=True) as pipe:
            items, _ = await pipe.lrange(key, 0, -1).delete(key).execute()
        now = time.time()
        ids = []
        for item in items:
            message_id, _, at = item.decode().partition(":")
            if now - float(at or 0) < self.ttl:
                ids.append(int(message_id))
        return ids


class RedisRateLimiter:
    """At most `rate` sends a second on average across every process, bursts of `burst`."""

    def __init__(self, client: Any, name: str, rate: float, burst: int | None = None) -> None:
        self.client = client
        self.key = f"{PREFIX}:rate:{name}"
        self.rate = rate
        self.unlimited = rate == float("inf")
        self.capacity = float(burst or (1 if self.unlimited else max(1, int(rate))))
        self._script = client.register_script(GCRA)

    async def acquire(self, tokens: float = 1.0) -> None:
        """Wait for `tokens`, as `RateLimiter.acquire` does, against the shared bucket."""
        if self.unlimited:
            return
        interval_ms = 1000.0 / self.rate
        while True:
            wait_ms = float(await self._script(keys=[self.key],
                                               args=[interval_ms, self.capacity, tokens]))
            if wait_ms <= 0:
                return
            await asyncio.sleep(wait_ms / 1000)
