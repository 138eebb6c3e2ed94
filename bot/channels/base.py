"""What the messaging channels share: turns, replies, de-duplication, ordering and retries.

A webhook does only what must happen before it answers: authenticate, parse, turn the raw
sender into a pseudonym, and store the message in the durable inbox (`bot.inbox`), which also
drops a repeat. Only then is it acknowledged. The turn itself (Rasa, then the vendor's send
API) runs in a worker loop that takes rows from the inbox, so Telegram and Twilio get their 200
in milliseconds, a slow send never holds a webhook, and a process killed mid-turn loses
nothing: another process (or this one, restarted) takes the row again. Turns of one person run
one after the other, in the order they were accepted, across processes and machines.

How a reply reaches the person: the raw address (chat id, phone number) is held by the task
handling that one message, and by its inbox row, encrypted, until the turn ends; it is passed
to the vendor's send call. Rasa, the tracker store, the logs and every table see the
pseudonym. Nothing maps a pseudonym back to an address; the next message from the person
brings the address again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import shared
from bot.broadcasts.store import OutboxStore
from bot.inbox import MAX_ATTEMPTS, Inbox, LeaseLost, Taken
from bot.optouts import OptOutStore
from bot.settings import Settings, get_settings
from bot.subscriptions import SubscriptionError, SubscriptionStore

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: How long a clean stop waits for a send already in flight (after its turns' drain), within
#: `serve`'s 15-second grace: 2 s for the worker loop, 8 for the turns, 3 for this.
IN_FLIGHT_SECONDS = 3.0

#: Replies to "MORE" in each language, and the hint that invites it (GSM-7 in every Latin-script
#: language, so the hint never switches a French, Spanish, Oromo, Somali or Hausa SMS to UCS-2).
MORE_WORDS = frozenset({"more", "plus", "suite", "mas", "más", "المزيد", "مزيد", "+",
                        "dabalata", "dheeraad", "kari", "ተወሳኺ", "ተጨማሪ"})
MORE_HINT = {
    "en": "Reply MORE for the rest.",
    "fr": "Repondez PLUS pour la suite.",
    "ar": "أرسل «المزيد» لبقية الجواب.",
    "es": "Responde MAS para seguir.",
    "om": "Kan hafe argachuuf DABALATA jedhii deebisi.",
    "am": "ለቀሪው 'ተጨማሪ' ብለው ይመልሱ።",
    "ti": "ንዝተረፈ 'ተወሳኺ' ጽሓፉ።",
    "so": "Ku jawaab DHEERAAD si aad u hesho inta kale.",
    "ha": "Amsa KARI don sauran.",
}
#: Telegram's "clear this chat" button, offered after /delete and on /clear.
CLEAR_CHAT = {
    "en": "🧹 Clear this chat",
    "fr": "🧹 Effacer cette discussion",
    "ar": "🧹 امسح هذه المحادثة",
    "es": "🧹 Borrar este chat",
    "om": "🧹 Haasaa kana haqi",
    "am": "🧹 ይህን ቻት አጽዳ",
    "ti": "🧹 እዚ ቻት ኣጽሪ",
    "so": "🧹 Tirtir sheekadan",
    "ha": "🧹 Share wannan hira",
}
CLEAR_DONE = {
    "en": "Chat cleared.",
    "fr": "Discussion effacée.",
    "ar": "تم مسح المحادثة.",
    "es": "Chat borrado.",
    "om": "Haasaan haqameera.",
    "am": "ቻቱ ጸድቷል።",
    "ti": "ቻት ጸሪዩ።",
    "so": "Sheekada waa la tirtiray.",
    "ha": "An share hira.",
}


def phrase(table: dict[str, str], language: str | None) -> str:
    """Return the channel phrase in `language`, English when missing."""
    return table.get(language or "en") or table["en"]


def command(intent: str, **entities: str) -> str:
    """Return the Rasa text that forces `intent` (only channels build these, never users)."""
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}" if entities else f"/{intent}"


@dataclass
class Reply:
    """One message the assistant wants to send, as the actions built it."""

    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)
    language: str | None = None
    forget: bool = False
    #: The person chose to subscribe: {"topics": [...], "language": ..., "country": ...}.
    subscribe: dict[str, Any] | None = None
    #: The person asked to stop every alert.
    unsubscribe: bool = False
    #: An emergency or protection answer: after a crash, better sent twice than not at all.
    urgent: bool = False


def combine(replies: list[Reply]) -> list[Reply]:
    """Join each run of replies into one message that ends with the run's buttons.

    An answer and the question after it ("1 Where to go  2 Back to the menu") become one
    message, its buttons under it: one notification instead of two, and half the sends against
    a platform's per-bot rate limit. A run ends at a reply with buttons or with `forget`.
    """
    combined: list[Reply] = []
    texts: list[str] = []
    language: str | None = None
    for reply in replies:
        if reply.text:
            texts.append(reply.text)
        language = reply.language or language
        if reply.buttons or reply.forget:
            combined.append(Reply("\n\n".join(texts), list(reply.buttons), language,
                                  reply.forget))
            texts, language = [], None
    if texts:
        combined.append(Reply("\n\n".join(texts), [], language))
    return combined


class ReplyCollector(OutputChannel):
    """Collect what Rasa says during one turn, with the metadata the actions attached."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []

    @classmethod
    def name(cls) -> str:
        """Name the collector."""
        return "collector"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Keep the text, the buttons (title, payload), the language and the forget flag."""
        text = message.get("text") or ""
        buttons = [
            (str(button.get("title", "")), str(button.get("payload", "")))
            for button in message.get("buttons") or []
            if isinstance(button, dict)
        ]
        subscribe = message.get("subscribe")
        if text or buttons:
            self.replies.append(Reply(text, buttons, message.get("language"),
                                      bool(message.get("forget")),
                                      subscribe if isinstance(subscribe, dict) else None,
                                      bool(message.get("unsubscribe")),
                                      bool(message.get("urgent"))))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Keep a plain text (Rasa calls this only through send_response here)."""
        await self.send_response(recipient_id, {"text": text, **kwargs})


async def run_turn(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    text: str,
    person: str,
    channel: str,
    metadata: dict[str, Any] | None = None,
) -> list[Reply]:
    """Send one message through Rasa under the pseudonym `person`; return the replies."""
    collector = ReplyCollector()
    await on_new_message(UserMessage(text, collector, person, input_channel=channel,
                                     metadata=metadata or {}))
    return collector.replies


class PersonLocks:
    """One lock per person, so one person's turns run in order; unused locks are dropped."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: defaultdict[str, int] = defaultdict(int)

    @asynccontextmanager
    async def hold(self, person: str) -> AsyncIterator[None]:
        """Hold the lock of `person`."""
        lock = self._locks.setdefault(person, asyncio.Lock())
        self._users[person] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[person] -= 1
            if not self._users[person]:
                del self._users[person]
                self._locks.pop(person, None)

    def __len__(self) -> int:
        return len(self._locks)


class Background:
    """Run turns as tasks, keep references to them, and wait for them at shutdown.

    `limit` bounds how many turns may wait or run at once, so a flood cannot grow memory
    without end: past it `full` is true and the webhooks push back (Telegram gets a 503 with
    Retry-After and delivers the update again later; Twilio, which does not redeliver, gets an
    answer asking the person to write again in a few minutes). At about 30 turns a second, the
    default of 2,000 is a minute of work.
    """

    def __init__(self, limit: int = 2000) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self.limit = limit

    @property
    def full(self) -> bool:
        """Return True when no more turns should be accepted now."""
        return len(self._tasks) >= self.limit

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Start `coroutine`; a failure is logged without anything about the person."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            logger.error("A channel turn failed: %s", type(error).__name__)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for running turns to finish (at shutdown), then cancel what is left."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        if pending:
            logger.warning("%d turns still running at the stop are cut short", len(pending))
            for task in pending:
                task.cancel()
            # A send in flight finishes first (MessagingInput._send_through_a_stop).
            await asyncio.wait(pending, timeout=IN_FLIGHT_SECONDS + 0.5)

    def __len__(self) -> int:
        return len(self._tasks)


@dataclass
class ChannelStats:
    """Counts a channel exposes on its health route; never anything about a person."""

    received: int = 0
    duplicates: int = 0
    #: Sends in flight when a process died; resent when urgent, skipped otherwise.
    uncertain: int = 0
    #: Inbox rows given up: unreadable (another PSEUDONYM_KEY) or failed too often.
    dropped: int = 0
    deferred: int = 0
    forbidden: int = 0
    malformed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counts."""
        return dict(self.__dict__)


class RateLimiter:
    """A token bucket: at most `rate` sends a second on average, bursts of `burst`.

    In this process's memory; with `REDIS_URL` the channels use `bot.shared.RedisRateLimiter`,
    one bucket for every process and machine.
    """

    def __init__(self, rate: float, burst: int | None = None) -> None:
        self.rate = rate
        self.unlimited = rate == float("inf")
        self.capacity = float(burst or (1 if self.unlimited else max(1, int(rate))))
        self._tokens = self.capacity
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self, tokens: float = 1.0) -> None:
        """Wait for `tokens` (an SMS of three segments takes three against an MPS limit).

        A request larger than the bucket waits for a full bucket and leaves it in debt, so the
        average rate still holds. An infinite rate never waits.
        """
        if self.unlimited:
            return
        async with self._lock:
            need = min(tokens, self.capacity)
            while True:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= need:
                    self._tokens -= tokens
                    return
                await asyncio.sleep((need - self._tokens) / self.rate)


class Limiter(Protocol):
    """What a sender needs of a rate limit (`RateLimiter`, `bot.shared.RedisRateLimiter`)."""

    async def acquire(self, tokens: float = 1.0) -> None:
        """Wait until `tokens` may be spent."""


#: Makes the limit named `name` (a vendor, a sender) at `rate` a second.
LimiterFactory = Callable[[str, float], Limiter]


def local_limiter(name: str, rate: float) -> Limiter:
    """Return a limit kept in this process."""
    return RateLimiter(rate)


class TemporaryFailure(Exception):
    """The send may work if tried again (network error, 5xx, 429 after `retry_after`)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Unreachable(Exception):
    """The person cannot be messaged any more (blocked the bot, sent STOP)."""


class PermanentFailure(Exception):
    """The vendor refused the send for good (bad request, bad credentials)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a send."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0


async def with_retries(
    attempt: Callable[[], Awaitable[T]], policy: RetryPolicy, stats: ChannelStats
) -> T:
    """Call `attempt` until it succeeds, retrying temporary failures with backoff.

    A 429's `retry_after` is waited out exactly (capped by the policy); other temporary
    failures back off exponentially with jitter. `Unreachable` and `PermanentFailure` are raised
    at once, and the last `TemporaryFailure` when the attempts run out.
    """
    for number in range(1, policy.attempts + 1):
        try:
            return await attempt()
        except TemporaryFailure as failure:
            if number == policy.attempts:
                raise
            stats.retried += 1
            if failure.retry_after is not None:
                delay = min(failure.retry_after, policy.max_retry_after)
            else:
                delay = min(policy.max_delay, policy.base_delay * 2 ** (number - 1))
                delay *= 0.75 + random.random() / 2
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


class PendingMore:
    """The rest of a cut answer, by person, until they reply MORE (kept one day, in memory).

    With `REDIS_URL` the channels use `bot.shared.RedisPendingMore` instead, the same methods
    over a store every process and machine shares.
    """

    def __init__(self, ttl_seconds: float = 24 * 3600, capacity: int = 50_000) -> None:
        self.ttl = ttl_seconds
        self.capacity = capacity
        self._rest: OrderedDict[str, tuple[str, str | None, float]] = OrderedDict()

    async def put(self, person: str, rest: str, language: str | None) -> None:
        """Keep `rest` for `person` (an empty rest forgets what was kept)."""
        self._rest.pop(person, None)
        if rest:
            self._rest[person] = (rest, language, time.monotonic())
            while len(self._rest) > self.capacity:
                self._rest.popitem(last=False)

    async def take(self, person: str) -> tuple[str, str | None] | None:
        """Return and forget (rest, language) for `person`, or None."""
        item = self._rest.pop(person, None)
        if item is None or time.monotonic() - item[2] > self.ttl:
            return None
        return item[0], item[1]

    async def forget(self, person: str) -> None:
        """Drop what is kept for `person`."""
        self._rest.pop(person, None)


def is_more(text: str) -> bool:
    """Return True when `text` asks for the rest of an answer ("MORE", "plus", "المزيد")."""
    return text.strip().strip(".!").casefold() in MORE_WORDS


class MessagingInput(InputChannel):
    """What the Telegram and Twilio input channels share: the inbox and its worker, state,
    opt-outs, order, health."""

    #: Why a person the vendor refuses to reach is opted out ("blocked", "undeliverable").
    unreachable_reason = "blocked"

    def __init__(self, settings: Settings, optouts: OptOutStore | None = None) -> None:
        self.settings = settings
        self.stats = ChannelStats()
        self._optouts = optouts
        self._subscriptions: SubscriptionStore | None = None
        self.locks = PersonLocks()
        self.background = Background()
        #: Who this process is in the inbox's leases.
        self.owner = uuid.uuid4().hex[:16]
        #: Unfinished inbox rows of this channel past which webhooks push back (a minute of
        #: work at about 30 turns a second).
        self.inbox_limit = 2000
        #: Rows this process holds at once. Rasa runs one turn at a time on the process's core,
        #: so more would only hoard rows other processes could answer sooner, and make a
        #: clean stop wait longer.
        self.concurrency = 16
        #: How often the worker looks for rows it was not told about (other processes' rows
        #: it may take now, leases run out).
        self.poll_seconds = 0.5
        self.backlog = 0
        #: Messages this process has stored, so that a count of the backlog that ran while
        #: some were stored does not overwrite them (see `_count_backlog`).
        self._stored = 0
        self._inbox: Inbox | None = None
        self._running: dict[int, Taken] = {}
        self._wake: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._on_new_message: Callable[[UserMessage], Awaitable[Any]] | None = None
        self._stopping = False
        self._redis: Any = None
        self._pending: Any = None

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> MessagingInput:
        """Build from the environment (credentials.yml holds no secrets)."""
        return cls(get_settings())

    @property
    def optouts(self) -> OptOutStore:
        """Open the opt-out store on first use."""
        if self._optouts is None:
            self._optouts = OptOutStore.from_url(self.settings.database_url)
        return self._optouts

    @property
    def subscriptions(self) -> SubscriptionStore | None:
        """Open the subscription store on first use; None without SUBSCRIBER_KEY."""
        if self._subscriptions is None and self.settings.subscriber_key is not None:
            self._subscriptions = SubscriptionStore(self.optouts.engine,
                                                    self.settings.subscriber_key)
        return self._subscriptions

    @property
    def redis(self) -> Any:
        """Return the Redis client shared state lives in (None without REDIS_URL).

        Made on first use, inside the server's event loop.
        """
        if self._redis is None and self.settings.redis_url:
            self._redis = shared.connect(self.settings.redis_url)
        return self._redis

    def send_rate(self, rate: float) -> float:
        """Return this process's share of a send limit.

        With Redis the limit is one bucket every process draws from; without it each of the
        `SERVE_WORKERS` processes keeps its own bucket at its share.
        """
        return rate if self.settings.redis_url else rate / self.settings.serve_workers

    def make_limiter(self, name: str, rate: float) -> Limiter:
        """Return the send limit `name` at `rate`, shared through Redis when configured."""
        if self.settings.redis_url and rate != float("inf"):
            return shared.RedisRateLimiter(self.redis, name, rate)
        return RateLimiter(rate)

    @property
    def pending(self) -> Any:
        """Return where the rest of a cut answer waits for MORE (Redis or this process)."""
        if self._pending is None:
            if self.settings.redis_url:
                assert self.settings.pseudonym_key is not None
                self._pending = shared.RedisPendingMore(self.redis,
                                                        self.settings.pseudonym_key)
            else:
                self._pending = PendingMore()
        return self._pending

    async def close_shared(self) -> None:
        """Close the Redis connections."""
        if self._redis is not None:
            await self._redis.close()
            self._redis = None

    @property
    def inbox(self) -> Inbox:
        """Open the inbox on first use (the database of the opt-outs)."""
        if self._inbox is None:
            assert self.settings.pseudonym_key is not None
            self._inbox = Inbox(self.optouts.engine, self.settings.pseudonym_key, self.name(),
                                self.owner, self.settings.inbox_lease_seconds)
        return self._inbox

    @property
    def full(self) -> bool:
        """Return True when no more messages should be accepted now."""
        return self.backlog >= self.inbox_limit

    async def accept(self, message_id: str, person: str, message: dict[str, Any]) -> bool:
        """Store an accepted message durably; return False when it was stored before.

        Database errors propagate: the webhook must then not acknowledge the message.
        """
        take = (self._worker is not None and not self._stopping
                and len(self._running) < self.concurrency)
        added, taken = await asyncio.to_thread(self.inbox.add_and_take, message_id, person,
                                               message) if take else (
            await asyncio.to_thread(self.inbox.add, message_id, person, message), None)
        if added:
            self.backlog += 1
            self._stored += 1
            held = await self._held([taken] if taken is not None else [])
            if held and self._on_new_message is not None:
                # Its person had nothing waiting: answer it here and now.
                self._running[held[0].id] = held[0]
                self.background.spawn(self._run(held[0], self._on_new_message))
            else:
                self.wake()
                await self.announce()
        return added

    async def _held(self, rows: list[Taken]) -> list[Taken]:
        """Return the rows just taken, or give them back and return none if the stop began
        while they were being taken: past the stop's drain, a turn started now would be cut
        when the loop closes, its row unreleased until its lease ran out."""
        if self._stopping and rows:
            await asyncio.to_thread(self.inbox.release, [taken.id for taken in rows])
            return []
        return rows

    async def announce(self) -> None:
        """Tell every process sharing Redis that a row may be free to take.

        One person's next message often reaches another server than the one finishing their
        previous message; without this, it would wait for that server's next poll. The
        notice carries nothing but "look".
        """
        if self.redis is None:
            return
        try:
            await self.redis.publish(self._notices, b"1")
        except Exception as error:  # the servers' polls take over
            logger.warning("inbox: could not notify the other servers (%s)",
                           type(error).__name__)

    @property
    def _notices(self) -> str:
        return f"{shared.PREFIX}:inbox:{self.name()}"

    async def _listen(self) -> None:
        """Wake the worker when another process announces a row (Redis pub/sub)."""
        while not self._stopping:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._notices)
                while not self._stopping:
                    if await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0):
                        self.wake()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis away: polling answers meanwhile
                logger.warning("inbox: not listening to the other servers (%s)",
                               type(error).__name__)
                await asyncio.sleep(2)
            finally:
                try:
                    await pubsub.close()
                except Exception:
                    pass

    def wake(self) -> None:
        """Tell the worker there may be a row to take."""
        if self._wake is not None:
            self._wake.set()

    def start_worker(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Start taking rows from the inbox (at server start, or at the first webhook of a
        server that does not run start listeners); never again once stopping."""
        if self._stopping:
            return  # a webhook during a clean stop is stored; another process answers it
        if self._worker is None or self._worker.done():
            self._wake = asyncio.Event()
            self._on_new_message = on_new_message
            loop = asyncio.get_running_loop()
            self._worker = loop.create_task(self._work(on_new_message))
            if self.redis is not None:
                self._listener = loop.create_task(self._listen())

    async def stop_worker(self, timeout: float = 8.0) -> None:
        """Stop taking rows, let running turns finish, and give back those that could not.

        Within `serve`'s 15-second grace: the worker loop ends at its next wake-up, turns get
        `timeout` seconds, and a send in flight then `IN_FLIGHT_SECONDS` more.
        """
        self._stopping = True
        self.wake()
        if self._listener is not None:
            self._listener.cancel()
        if self._worker is not None:
            await asyncio.wait([self._worker], timeout=2)
        holding = set(self._running)
        await self.background.drain(timeout)
        holding |= set(self._running)  # a turn the worker started after it was asked to stop
        if holding and self._inbox is not None:
            try:
                await asyncio.to_thread(self._inbox.release, sorted(holding))
            except Exception as error:  # their leases run out instead
                logger.error("inbox: rows not given back (%s)", type(error).__name__)

    async def _work(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        assert self._wake is not None
        renewed = time.monotonic()
        purged = counted = 0.0
        while not self._stopping:
            self._wake.clear()
            try:
                room = self.concurrency - len(self._running)
                rows = await self._held(await asyncio.to_thread(self.inbox.take, room))
                if self._stopping:
                    break
                for taken in rows:
                    self._running[taken.id] = taken
                    self.background.spawn(self._run(taken, on_new_message))
                now = time.monotonic()
                if now - counted >= self.poll_seconds:
                    await self._count_backlog()
                    counted = now
                if now - renewed >= self.inbox.lease_seconds / 3:
                    await asyncio.to_thread(self.inbox.renew, list(self._running))
                    renewed = now
                if now - purged >= 3600:
                    await asyncio.to_thread(self.inbox.purge)
                    purged = now
            except Exception as error:  # the database is unreachable: try again shortly
                logger.error("inbox: the worker could not reach the database (%s)",
                             type(error).__name__)
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            except asyncio.TimeoutError:
                pass

    async def _count_backlog(self) -> None:
        """Count the unfinished rows again (other processes add and finish rows too).

        A message stored while the count ran may or may not be in it. Adding it again errs
        towards pushing back for one poll; leaving it out let a burst past the limit, since
        the count, begun before the burst, replaced the webhooks' own tally after it.
        """
        stored = self._stored
        count = await asyncio.to_thread(self.inbox.backlog)
        self.backlog = count + self._stored - stored

    async def _run(self, taken: Taken,
                   on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        try:
            if taken.message is None or taken.attempts > MAX_ATTEMPTS:
                self.stats.dropped += 1
                logger.error("inbox: a message was dropped (%s)",
                             "unreadable" if taken.message is None else "failed too often")
                await asyncio.to_thread(self.inbox.drop, taken.id)
                return
            await self.process(taken, on_new_message)
            await asyncio.to_thread(self.inbox.done, taken)
            await self.announce()  # the person's next message may wait on another server
        except LeaseLost:
            logger.warning("inbox: another process took over a message")
        except Exception as error:
            logger.error("A channel turn failed: %s", type(error).__name__)
            try:  # taken again (up to MAX_ATTEMPTS), by this process or another
                await asyncio.to_thread(self.inbox.release, [taken.id])
            except Exception:
                pass
        finally:
            self._running.pop(taken.id, None)
            self.wake()

    async def process(self, taken: Taken,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Answer one inbox row (each channel its own way)."""
        raise NotImplementedError

    async def run_plan(self, taken: Taken, plan: dict[str, Any], fresh: bool,
                       send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        """Send the plan's sends in order, recording each before it starts.

        `fresh`: the plan was just made (it is stored with the first send). Otherwise this row
        was taken again after its process died: the sends it confirmed are not repeated, and
        one that was in flight is repeated only for an urgent answer.
        """
        sends = plan.get("sends") or []
        start = 0
        if not fresh:
            start = taken.sent
            if taken.sending > taken.sent and start < len(sends):
                self.stats.uncertain += 1
                if plan.get("urgent"):
                    logger.warning("inbox: an urgent answer cut short by a crash is sent again")
                else:
                    logger.warning("inbox: an answer cut short by a crash is not sent again")
                    start += 1
        for number in range(start, len(sends)):
            # On the event loop on purpose, not in a thread: the send's coroutine then runs on
            # at once, so a crash between the record and the request is a matter of
            # microseconds. Through a thread it waited for the loop, busy with other turns'
            # CPU work, and a SIGKILL found several sends recorded but never made
            # (tests/channels/test_crash.py). One commit blocks the loop for well under a
            # millisecond (bench/cluster.py --inbox).
            self.inbox.start_send(taken, number, plan if fresh and number == 0 else None)
            await self._send_through_a_stop(taken, number, send(sends[number]))

    async def _send_through_a_stop(self, taken: Taken, number: int,
                                   sending: Awaitable[None]) -> None:
        """Make send `number`; a clean stop lets a send in flight finish and records it.

        A clean stop cancels the turns still running after its drain. Cut at once, a send in
        flight would be left recorded as started but not confirmed, which the process that
        takes the row next must treat as a crash's uncertain send and (for an answer that is
        not urgent) skip: lost if the request had not yet left. So the send is shielded: it
        gets `IN_FLIGHT_SECONDS` more to finish, and once the vendor has confirmed it, so does
        the row. Only a send still unfinished then is left uncertain, as after a crash.
        """
        task = asyncio.ensure_future(sending)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.done():
                await asyncio.wait([task], timeout=IN_FLIGHT_SECONDS)
            if not task.done():
                outcome = "unfinished"
            elif task.cancelled():
                outcome = "cancelled"
            else:
                error = task.exception()
                outcome = type(error).__name__ if error is not None else "sent"
            if outcome == "sent":
                try:
                    self.inbox.confirm_send(taken, number)
                except Exception:  # the lease was lost: its new owner decides
                    pass
            else:
                logger.warning("inbox: a send in flight at the stop was left unconfirmed (%s)",
                               outcome)
                task.cancel()
            raise

    async def opt_out(self, person: str, channel: str, reason: str) -> None:
        """Record an opt-out and delete any subscription, without blocking the event loop."""
        await asyncio.to_thread(self._opt_out, person, channel, reason)

    def _opt_out(self, person: str, channel: str, reason: str) -> None:
        self.optouts.mark(person, channel, reason)
        if self.subscriptions is not None:
            self.subscriptions.remove(person)

    async def opt_in(self, person: str) -> None:
        """Forget an opt-out (START, /start) without blocking the event loop."""
        await asyncio.to_thread(self.optouts.clear, person)

    async def after_turn(self, person: str, channel: str, address: str,
                         replies: list[Reply]) -> None:
        """Carry out what the turn's replies ask of the channel edge.

        `subscribe`: store the subscription with the address (the only place it is ever
        written) and forget an earlier opt-out, since subscribing is a new consent.
        `unsubscribe`: record the opt-out and delete the subscription. `forget` (delete my
        data): delete the opt-out, the subscription and the person's broadcast records.
        """
        for reply in replies:
            if reply.subscribe is not None and self.subscriptions is not None:
                await asyncio.to_thread(self._subscribe, person, channel, address,
                                        reply.subscribe)
            if reply.unsubscribe:
                await self.opt_out(person, channel, "stop")
            if reply.forget:
                await asyncio.to_thread(self._forget, person)

    def _subscribe(self, person: str, channel: str, address: str,
                   request: dict[str, Any]) -> None:
        assert self.subscriptions is not None
        try:
            self.subscriptions.subscribe(
                person, channel, address, str(request.get("language") or "en"),
                request.get("country"), list(request.get("topics") or []))
        except SubscriptionError as error:
            logger.error("A subscription was not stored: %s", error)
            return
        self.optouts.clear(person)

    def _forget(self, person: str) -> None:
        self.optouts.clear(person)
        if self.subscriptions is not None:
            self.subscriptions.remove(person)
        OutboxStore(self.optouts.engine).forget_person(person)

    async def in_order(
        self, person: str, channel: str, turn: Callable[[], Awaitable[None]]
    ) -> None:
        """Run `turn` after the person's earlier ones; classify what the vendor refused."""
        async with self.locks.hold(person):
            try:
                await turn()
            except Unreachable:
                self.stats.unreachable += 1
                await self.opt_out(person, channel, self.unreachable_reason)
            except (TemporaryFailure, PermanentFailure) as failure:
                self.stats.failed += 1
                logger.warning("A %s send failed: %s", self.name(), failure)

    def add_health_and_shutdown(
        self, webhook: Blueprint, close: Callable[[], Awaitable[None]],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        """Add GET / (counts only), start the inbox worker with the server (rows left by a
        process that died are taken again), and finish running turns when it stops."""

        @webhook.listener("after_server_start")
        async def work(*_: Any) -> None:
            self.start_worker(on_new_message)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "backlog": self.backlog,
                                  **self.stats.as_dict()})

        @webhook.listener("before_server_stop")
        async def drain(*_: Any) -> None:
            await self.stop_worker()
            await close()
            await self.close_shared()
