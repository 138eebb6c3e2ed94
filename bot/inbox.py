"""The durable inbox: a webhook is acknowledged only once its message is stored.

Telegram and Twilio never send a message twice once it was acknowledged with a 2xx, so a
message answered 200 and then lost with the process is lost for good. Every accepted Telegram
update and Twilio message is therefore one row of the `inbox` table (the default database:
SQLite in WAL mode, or PostgreSQL), committed before the webhook answers. Workers (a loop in
each `serve` process, on any number of machines sharing the database) take rows, run the turn,
send, and mark them done:

* **Order per person.** Only the oldest unfinished row of a person can be taken, so one
  person's messages are answered one after the other, in the order they were accepted, by
  whichever process takes them.
* **Leases.** A taken row carries its taker and a lease, renewed while the turn runs. A row
  whose lease ran out (its process was killed) is taken again by any process. A process that
  lost its lease finds out at its next write (every write names the taker) and stops.
* **Answered once.** The sends a turn decides are stored (the plan) before the first one, and
  each send is recorded: `sending` counts sends started, `sent` sends the vendor confirmed.
  A row taken again resumes at the first unconfirmed send and never runs the turn twice once
  its plan is stored. A send that was in flight when the process died (`sending > sent`) may
  or may not have reached the person: neither Telegram nor Twilio takes an idempotency key.
  It is sent again only when the answer is urgent (an emergency, violence, trafficking, a
  child alone): a second copy is better than none there; otherwise it is skipped, one answer
  too few rather than a second copy. Such sends are counted (`uncertain`) and logged without
  content.
* **Privacy.** The message (text, chat id or number) and the plan are encrypted at rest with a
  Fernet key derived from `PSEUDONYM_KEY`, never logged, and erased when the turn ends. What
  stays is a keyed hash of the vendor's message id (for de-duplication across processes and
  restarts) and the hour it was done, deleted after a day.

The store is synchronous SQLAlchemy 1.4 ("2.0 style"); the channels call it through
`asyncio.to_thread`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.migrations import ensure_schema

metadata = MetaData()

inbox = Table(
    "inbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # HMAC of the channel and the vendor's message id: a retried delivery finds it.
    Column("dedup", String(64), nullable=False, unique=True),
    Column("channel", String(16), nullable=False),
    # A keyed hash of the pseudonym while the row is unfinished (to keep each person's order),
    # NULL once done: not even the pseudonym is written to the database file.
    Column("person", String(80), nullable=True),
    Column("state", String(8), nullable=False),  # queued | taken | done
    Column("payload", Text, nullable=True),  # Fernet token of the message; NULL once done
    Column("plan", Text, nullable=True),  # Fernet token of the sends; NULL once done
    Column("sending", Integer, nullable=False, default=0),
    Column("sent", Integer, nullable=False, default=0),
    Column("owner", String(40), nullable=True),
    Column("lease_until", Float, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("received_at", Float, nullable=True),  # NULL once done
    Column("done_hour", Float, nullable=True),
    Index("ix_inbox_person_id", "person", "id"),
    Index("ix_inbox_channel_state_id", "channel", "state", "id"),
)

#: A row taken this many times without finishing is dropped (a message that kills its worker).
MAX_ATTEMPTS = 5
#: Done rows (a hash and an hour) are kept this long to recognise a vendor's redelivery.
DEDUP_SECONDS = 24 * 3600


def inbox_key(pseudonym_key: bytes) -> bytes:
    """Return the inbox's Fernet key, derived from `PSEUDONYM_KEY` (so there is no new secret)."""
    digest = hmac.new(pseudonym_key, b"migrant-bot inbox encryption v1", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest)


def person_key(pseudonym_key: bytes, person: str) -> str:
    """Return the keyed hash that stands for a pseudonym in the inbox."""
    return hmac.new(pseudonym_key, f"inbox person:{person}".encode(),
                    hashlib.sha256).hexdigest()


def dedup_key(pseudonym_key: bytes, channel: str, message_id: str) -> str:
    """Return the keyed hash that stands for a vendor message id in the inbox."""
    return hmac.new(pseudonym_key, f"inbox:{channel}:{message_id}".encode(),
                    hashlib.sha256).hexdigest()


@dataclass
class Taken:
    """One row a worker took: the message, and how far its answer got before."""

    id: int
    person: str  # the keyed hash of the pseudonym (`person_key`)
    owner: str
    message: dict[str, Any] | None  # None: unreadable (another key), to be dropped
    plan: dict[str, Any] | None
    sending: int
    sent: int
    attempts: int

    def __repr__(self) -> str:  # never the message or the plan in a log line
        return f"Taken(id={self.id}, sending={self.sending}, sent={self.sent})"


class LeaseLost(Exception):
    """Another process took the row (this one was too slow to renew its lease)."""


class Inbox:
    """Store, take, progress and finish inbox rows of one channel."""

    def __init__(self, engine: Engine, pseudonym_key: bytes, channel: str, owner: str,
                 lease_seconds: float = 30.0) -> None:
        self.engine = engine
        self.channel = channel
        self.owner = owner
        self.lease_seconds = lease_seconds
        self._key = pseudonym_key
        self._fernet = Fernet(inbox_key(pseudonym_key))
        self._takes = 0
        ensure_schema(engine)

    def _encrypt(self, value: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(value, ensure_ascii=False).encode()).decode()

    def _decrypt(self, token: str | None) -> dict[str, Any] | None:
        if token is None:
            return None
        try:
            value = json.loads(self._fernet.decrypt(token.encode()))
        except (InvalidToken, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def add(self, message_id: str, person: str, message: dict[str, Any]) -> bool:
        """Store a message durably; return False when this message id was stored before."""
        added, _ = self._add(message_id, person, message, take=False)
        return added

    def add_and_take(self, message_id: str, person: str, message: dict[str, Any]
                     ) -> tuple[bool, Taken | None]:
        """Store a message and, when it is its person's oldest unfinished one, take it in the
        same transaction; return (stored, taken or None).

        The webhook's own process then answers it without waiting for its worker loop: one
        commit and one wake-up fewer between the webhook and the send.
        """
        return self._add(message_id, person, message, take=True)

    def _add(self, message_id: str, person: str, message: dict[str, Any], take: bool
             ) -> tuple[bool, Taken | None]:
        now = time.time()
        tag = f"{self.owner}/w{uuid.uuid4().hex[:12]}"
        person = person_key(self._key, person)
        row = {"dedup": dedup_key(self._key, self.channel, message_id), "channel": self.channel,
               "person": person, "state": "queued", "payload": self._encrypt(message),
               "sending": 0, "sent": 0, "attempts": 0, "received_at": now}
        earlier = inbox.alias("earlier")
        try:
            with self.engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    # One person's messages are stored one after the other, so their ids
                    # follow the order they were committed in: a message is never taken while
                    # an earlier one of the same person is still being stored. (SQLite runs
                    # one writer at a time anyway.)
                    connection.execute(select(func.pg_advisory_xact_lock(
                        func.hashtext(f"migrant-bot inbox {person}"))))
                inserted = connection.execute(inbox.insert().values(**row))
                if not take:
                    return True, None
                row_id = int(inserted.inserted_primary_key[0])
                claimed = connection.execute(
                    update(inbox).where(
                        inbox.c.id == row_id, inbox.c.state == "queued",
                        ~exists().where(and_(earlier.c.person == person,
                                             earlier.c.id < row_id,
                                             earlier.c.state.in_(("queued", "taken")))))
                    .values(state="taken", owner=tag, lease_until=now + self.lease_seconds,
                            attempts=1))
        except IntegrityError:
            return False, None
        if claimed.rowcount != 1:
            return True, None
        return True, Taken(row_id, person, tag, message, None, 0, 0, 1)

    def seen(self, message_id: str) -> bool:
        """Return True when this message id is in the inbox (unfinished or done)."""
        key = dedup_key(self._key, self.channel, message_id)
        with self.engine.connect() as connection:
            return connection.execute(select(inbox.c.id).where(inbox.c.dedup == key)).first() \
                is not None

    def take(self, limit: int) -> list[Taken]:
        """Take up to `limit` rows: each the oldest unfinished row of its person.

        A row is free when queued, or taken under a lease that ran out. Only the oldest
        unfinished row of a person can be free, and taking is one UPDATE whose own WHERE
        re-checks that the row is still free (PostgreSQL re-evaluates it on a row another
        process just changed; SQLite runs one writer at a time), so two processes never hold
        rows of one person at once. Each take has its own owner tag, so this process knows
        which rows it got without RETURNING (SQLAlchemy 1.4 has none for SQLite).
        """
        if limit <= 0:
            return []
        now = time.time()
        self._takes += 1
        tag = f"{self.owner}/{self._takes}"
        candidate, earlier = inbox.alias("candidate"), inbox.alias("earlier")

        def free(table: Any) -> Any:
            return and_(table.c.state.in_(("queued", "taken")),
                        or_(table.c.state == "queued",
                            and_(table.c.state == "taken", table.c.lease_until < now)))

        oldest = ~exists().where(and_(earlier.c.person == candidate.c.person,
                                      earlier.c.id < candidate.c.id,
                                      earlier.c.state != "done"))
        candidates = (select(candidate.c.id)
                      .where(candidate.c.channel == self.channel, free(candidate), oldest)
                      .order_by(candidate.c.id).limit(limit))
        with self.engine.begin() as connection:
            claimed = connection.execute(
                update(inbox).where(inbox.c.id.in_(candidates.scalar_subquery()), free(inbox))
                .values(state="taken", owner=tag, lease_until=now + self.lease_seconds,
                        attempts=inbox.c.attempts + 1).execution_options(
                            synchronize_session=False))
            if not claimed.rowcount:
                return []
            rows = connection.execute(select(inbox).where(inbox.c.owner == tag)
                                      .order_by(inbox.c.id)).all()
        return [Taken(row.id, row.person, tag, self._decrypt(row.payload),
                      self._decrypt(row.plan), row.sending, row.sent, row.attempts)
                for row in rows]

    def _mine(self, taken: Taken) -> Any:
        return and_(inbox.c.id == taken.id, inbox.c.owner == taken.owner,
                    inbox.c.state == "taken")

    def start_send(self, taken: Taken, number: int, plan: dict[str, Any] | None = None) -> None:
        """Record that send `number` (from 0) starts, with the plan before the first one.

        Raises LeaseLost when the row is no longer this process's.
        """
        # Sends go one after the other: starting send n means the n before it were confirmed.
        values: dict[str, Any] = {"sent": number, "sending": number + 1,
                                  "lease_until": time.time() + self.lease_seconds}
        if plan is not None:
            values["plan"] = self._encrypt(plan)
        self._write(taken, values)

    def confirm_send(self, taken: Taken, number: int) -> None:
        """Record that send `number` (from 0) reached the vendor."""
        self._write(taken, {"sent": number + 1, "sending": number + 1})

    def _write(self, taken: Taken, values: dict[str, Any]) -> None:
        with self.engine.begin() as connection:
            if connection.execute(update(inbox).where(self._mine(taken))
                                  .values(**values)).rowcount != 1:
                raise LeaseLost()

    def done(self, taken: Taken) -> None:
        """Finish the row: the message, the plan and the pseudonym are erased."""
        hour = time.time() // 3600 * 3600
        with self.engine.begin() as connection:
            connection.execute(update(inbox).where(inbox.c.id == taken.id,
                                                   inbox.c.owner == taken.owner)
                               .values(state="done", payload=None, plan=None, person=None,
                                       owner=None, lease_until=None, received_at=None,
                                       done_hour=hour))

    def drop(self, row_id: int) -> None:
        """Finish a row that cannot be handled (unreadable, or it failed too often)."""
        with self.engine.begin() as connection:
            connection.execute(update(inbox).where(inbox.c.id == row_id)
                               .values(state="done", payload=None, plan=None, person=None,
                                       owner=None, lease_until=None, received_at=None,
                                       done_hour=time.time() // 3600 * 3600))

    def renew(self, row_ids: list[int]) -> None:
        """Extend the lease of the rows this process is working on."""
        if not row_ids:
            return
        with self.engine.begin() as connection:
            connection.execute(self._owned(row_ids)
                               .values(lease_until=time.time() + self.lease_seconds))

    def release(self, row_ids: list[int]) -> None:
        """Give rows back at once (a clean shutdown), for another process to take."""
        if not row_ids:
            return
        with self.engine.begin() as connection:
            connection.execute(self._owned(row_ids)
                               .values(state="queued", owner=None, lease_until=None))

    def _owned(self, row_ids: list[int]) -> Any:
        """Return an UPDATE of the rows among `row_ids` this process still holds."""
        return update(inbox).where(inbox.c.id.in_(row_ids),
                                   inbox.c.owner.like(f"{self.owner}/%"),
                                   inbox.c.state == "taken")

    def backlog(self) -> int:
        """Return how many rows of this channel are not done."""
        with self.engine.connect() as connection:
            return int(connection.execute(
                select(func.count()).select_from(inbox)
                .where(inbox.c.channel == self.channel,
                       inbox.c.state.in_(("queued", "taken")))).scalar_one())

    def purge(self, older_than: float = DEDUP_SECONDS) -> int:
        """Delete done rows older than `older_than` seconds; return how many."""
        cutoff = time.time() - older_than
        with self.engine.begin() as connection:
            return int(connection.execute(delete(inbox).where(
                inbox.c.state == "done", inbox.c.done_hour < cutoff)).rowcount or 0)
