"""Who asked for health messages, and the one address the system keeps to send them.

A subscription holds the person's pseudonym, channel, language, country and topics, and the
address a broadcast must be sent to (a Telegram chat id, a phone number). That address is the
only identifier stored anywhere: it is encrypted with `SUBSCRIBER_KEY` (Fernet: AES-128-CBC and
HMAC-SHA256, a fresh IV per row, so two rows of one number do not look alike), never logged, and
the row is deleted when the person unsubscribes (/stop, STOP, "stop the alerts"), deletes their
data, or a platform reports them unreachable (Telegram "blocked", Twilio 21610 and the
undeliverable codes). Rows are found by pseudonym, never by address.

Without `SUBSCRIBER_KEY` there are no subscriptions: the assistant says alerts are not available.

Only the channel edge writes a subscription (it holds the address for the length of one turn);
the actions ask for it with a flag on their confirmation message (see `bot.channels.base`).
Both the channels (a thread each call) and the broadcast sender use this store.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.db import create_engine_for
from bot.migrations import ensure_schema

#: What a person can subscribe to; the broadcast audience names the same topics.
TOPICS = ("general", "srhr", "protection", "vaccination")
CHANNELS = ("telegram", "sms", "whatsapp")

metadata = MetaData()

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("person", String(64), primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("language", String(8), nullable=False),
    Column("country", String(16), nullable=True),
    Column("topics", String(64), nullable=False),  # comma-separated codes from TOPICS
    Column("address", Text, nullable=False),  # Fernet token of the address
    Column("created_hour", DateTime, nullable=False),
    Column("updated_hour", DateTime, nullable=False),
)


class SubscriptionError(ValueError):
    """A subscription with a value outside the closed sets; never holds the address."""


@dataclass(frozen=True)
class Subscription:
    """One subscriber, as the broadcast sender needs them (the address decrypted)."""

    person: str
    channel: str
    language: str
    country: str | None
    topics: tuple[str, ...]
    address: str = ""

    def __repr__(self) -> str:  # the address never appears in a log line or a traceback
        return (f"Subscription(channel={self.channel!r}, language={self.language!r}, "
                f"country={self.country!r}, topics={self.topics!r})")


def _hour() -> datetime:
    return datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0, tzinfo=None)


def valid_key(key: str) -> bool:
    """Return True when `key` is a Fernet key (32 bytes, URL-safe base64)."""
    try:
        Fernet(key.encode())
    except (ValueError, TypeError):
        return False
    return True


class SubscriptionStore:
    """Create, update, remove and list subscriptions."""

    def __init__(self, engine: Engine, key: bytes) -> None:
        self.engine = engine
        self._fernet = Fernet(key)
        ensure_schema(engine)

    @classmethod
    def from_url(cls, url: str, key: bytes) -> SubscriptionStore:
        """Open (and create if needed) the store at a SQLAlchemy URL."""
        return cls(create_engine_for(url), key)

    def subscribe(
        self,
        person: str,
        channel: str,
        address: str,
        language: str,
        country: str | None,
        topics: Sequence[str],
    ) -> tuple[str, ...]:
        """Subscribe `person` to `topics` (added to any they have); return all their topics.

        Subscribing again also refreshes the address, language and country, so a person who
        changed language gets the next broadcast in the new one.
        """
        if channel not in CHANNELS:
            raise SubscriptionError(f"unknown channel {channel!r}")
        unknown = [topic for topic in topics if topic not in TOPICS]
        if unknown or not topics:
            raise SubscriptionError(f"unknown topics {unknown!r}")
        token = self._fernet.encrypt(address.encode()).decode()
        hour = _hour()
        with self.engine.begin() as connection:
            row = connection.execute(select(subscriptions.c.topics)
                                     .where(subscriptions.c.person == person)).first()
            if row is None:
                merged = tuple(topic for topic in TOPICS if topic in topics)
                try:
                    connection.execute(subscriptions.insert().values(
                        person=person, channel=channel, language=language, country=country,
                        topics=",".join(merged), address=token, created_hour=hour,
                        updated_hour=hour))
                    return merged
                except IntegrityError:  # subscribed at the same moment elsewhere
                    row = connection.execute(select(subscriptions.c.topics)
                                             .where(subscriptions.c.person == person)).first()
                    assert row is not None
            held = set(row.topics.split(",")) | set(topics)
            merged = tuple(topic for topic in TOPICS if topic in held)
            connection.execute(subscriptions.update()
                               .where(subscriptions.c.person == person)
                               .values(channel=channel, language=language, country=country,
                                       topics=",".join(merged), address=token,
                                       updated_hour=hour))
            return merged

    def remove(self, person: str) -> bool:
        """Delete the subscription (and with it the address); return True if there was one."""
        with self.engine.begin() as connection:
            result = connection.execute(delete(subscriptions)
                                        .where(subscriptions.c.person == person))
        return bool(result.rowcount)

    def get(self, person: str) -> Subscription | None:
        """Return the subscription of `person` with its address, or None."""
        with self.engine.connect() as connection:
            row = connection.execute(select(subscriptions)
                                     .where(subscriptions.c.person == person)).first()
        return None if row is None else self._subscription(row)

    def audience(
        self,
        *,
        countries: Sequence[str] = (),
        languages: Sequence[str] = (),
        channels: Sequence[str] = (),
        topics: Sequence[str] = (),
        with_addresses: bool = False,
    ) -> Iterator[Subscription]:
        """Yield the subscribers matching every non-empty filter, in pseudonym order.

        A subscriber matches `topics` when they have any of them. Addresses are decrypted only
        when asked for (the preview never needs them).
        """
        query = select(subscriptions).order_by(subscriptions.c.person)
        if countries:
            query = query.where(subscriptions.c.country.in_(list(countries)))
        if languages:
            query = query.where(subscriptions.c.language.in_(list(languages)))
        if channels:
            query = query.where(subscriptions.c.channel.in_(list(channels)))
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        wanted = set(topics)
        for row in rows:
            held = set(row.topics.split(","))
            if wanted and not held & wanted:
                continue
            yield self._subscription(row, with_address=with_addresses)

    def addresses(self, persons: Sequence[str]) -> dict[str, str]:
        """Return the decrypted addresses of those of `persons` still subscribed."""
        if not persons:
            return {}
        with self.engine.connect() as connection:
            rows = connection.execute(select(subscriptions.c.person, subscriptions.c.address)
                                      .where(subscriptions.c.person.in_(list(persons)))).all()
        return {row.person: self._decrypt(row.address) for row in rows}

    def count(self) -> int:
        """Return the number of subscribers."""
        with self.engine.connect() as connection:
            return int(connection.execute(
                select(func.count()).select_from(subscriptions)).scalar_one())

    def _subscription(self, row, with_address: bool = True) -> Subscription:  # type: ignore[no-untyped-def]
        return Subscription(
            person=row.person, channel=row.channel, language=row.language, country=row.country,
            topics=tuple(row.topics.split(",")),
            address=self._decrypt(row.address) if with_address else "",
        )

    def _decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SubscriptionError(
                "a subscription cannot be decrypted: SUBSCRIBER_KEY is not the key it was "
                "stored with") from None
