"""The broadcast tables and the outbox's state machine, in SQL.

Every recipient of a broadcast is a row of `broadcast_outbox`, keyed by pseudonym (never the
address, which stays encrypted in `subscriptions`):

    queued -> started -> sent -> delivered | failed
    queued -> skipped   (no text in their language, opted out, unsubscribed, cancelled)
    started -> uncertain (the sender died while the send was in flight)

A worker claims a window of queued rows by marking them `started` in one statement (on
PostgreSQL the rows are picked with FOR UPDATE SKIP LOCKED, so several workers never claim the
same row; SQLite runs one writer at a time, so the statement is atomic there), commits, and only
then calls the vendor. After the calls it records every result in one transaction. A worker
that dies between the two leaves `started` rows behind; once its heartbeat is older than the
stale limit, `recover` turns them into `uncertain`: they may or may not have arrived, neither
vendor takes an idempotency key to find out, and they are never resent unless the operator
asks (`resend_uncertain`). Everything else is sent exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine

metadata = MetaData()

broadcasts = Table(
    "broadcasts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(120), nullable=False),
    Column("topic", String(16), nullable=False),
    Column("texts", Text, nullable=False),  # JSON {language: text}
    Column("templates", Text, nullable=False),  # JSON {language: {content_sid, variables}}
    Column("audience", Text, nullable=False),  # JSON {countries, languages, channels, topics}
    Column("state", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("scheduled_at", DateTime, nullable=True),
    Column("queued_at", DateTime, nullable=True),
    Column("finished_at", DateTime, nullable=True),
    Column("created_by", String(64), nullable=True),
)

outbox = Table(
    "broadcast_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("broadcast_id", Integer, nullable=False),
    Column("person", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("language", String(8), nullable=False),
    Column("country", String(16), nullable=True),
    Column("state", String(16), nullable=False),
    Column("reason", String(32), nullable=True),
    Column("vendor_id", String(64), nullable=True),
    Column("worker", String(32), nullable=True),
    Column("started_at", DateTime, nullable=True),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("broadcast_id", "person", name="uq_broadcast_outbox_person"),
)

workers = Table(
    "broadcast_workers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("heartbeat", DateTime, nullable=False),
)

#: Broadcast states.
DRAFT, SCHEDULED, SENDING, DONE, CANCELLED = "draft", "scheduled", "sending", "done", "cancelled"
#: Outbox states, in the order a status report lists them.
QUEUED, STARTED, SENT, DELIVERED, FAILED, SKIPPED, UNCERTAIN = (
    "queued", "started", "sent", "delivered", "failed", "skipped", "uncertain")
OUTBOX_STATES = (QUEUED, STARTED, SENT, DELIVERED, FAILED, SKIPPED, UNCERTAIN)


def now() -> datetime:
    """Return the current UTC time, naive, as the tables store it."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Recipient:
    """One claimed outbox row."""

    id: int
    person: str
    channel: str
    language: str
    country: str | None


@dataclass(frozen=True)
class Result:
    """What became of one claimed row."""

    id: int
    state: str
    reason: str | None = None
    vendor_id: str | None = None


class OutboxStore:
    """SQL for broadcasts and their outbox; no vendor, no address."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # Broadcasts ---------------------------------------------------------------------------

    def insert_broadcast(self, values: dict[str, Any]) -> int:
        """Insert a broadcast row; return its id."""
        row = dict(values)
        for name in ("texts", "templates", "audience"):
            row[name] = json.dumps(row[name], ensure_ascii=False, sort_keys=True)
        row.setdefault("state", DRAFT)
        row.setdefault("created_at", now())
        with self.engine.begin() as connection:
            result = connection.execute(broadcasts.insert().values(**row))
            return int(result.inserted_primary_key[0])

    def broadcast(self, broadcast_id: int) -> dict[str, Any] | None:
        """Return a broadcast row as a dict (JSON columns decoded), or None."""
        with self.engine.connect() as connection:
            row = connection.execute(select(broadcasts)
                                     .where(broadcasts.c.id == broadcast_id)).first()
        return None if row is None else _decoded(row)

    def broadcasts(self, limit: int = 50) -> list[dict[str, Any]]:
        """Return the newest broadcasts first."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(broadcasts).order_by(broadcasts.c.id.desc())
                                      .limit(limit)).all()
        return [_decoded(row) for row in rows]

    def set_state(self, broadcast_id: int, state: str, **values: Any) -> None:
        """Change a broadcast's state (and other columns)."""
        with self.engine.begin() as connection:
            connection.execute(update(broadcasts).where(broadcasts.c.id == broadcast_id)
                               .values(state=state, **values))

    def due(self, at: datetime) -> list[int]:
        """Return the broadcasts a worker should be sending now, oldest first."""
        with self.engine.begin() as connection:
            connection.execute(update(broadcasts)
                               .where(broadcasts.c.state == SCHEDULED,
                                      broadcasts.c.scheduled_at <= at)
                               .values(state=SENDING))
            return list(connection.execute(
                select(broadcasts.c.id).where(broadcasts.c.state == SENDING)
                .order_by(broadcasts.c.id)).scalars())

    # The outbox ---------------------------------------------------------------------------

    def fill(self, broadcast_id: int, rows: Iterable[dict[str, Any]]) -> int:
        """Add recipients not yet in the outbox (so filling twice adds nobody twice)."""
        at = now()
        with self.engine.begin() as connection:
            present = set(connection.execute(
                select(outbox.c.person).where(outbox.c.broadcast_id == broadcast_id)).scalars())
            new = [{**row, "broadcast_id": broadcast_id, "updated_at": at}
                   for row in rows if row["person"] not in present]
            for start in range(0, len(new), 1000):
                connection.execute(outbox.insert(), new[start:start + 1000])
        return len(new)

    def claim(self, broadcast_id: int, worker: str, channel: str, limit: int) -> list[Recipient]:
        """Mark up to `limit` queued rows of `channel` as started by `worker`; return them.

        The mark is committed before this returns, that is before any send: a row that is
        `started` may have been sent, a row that is `queued` certainly was not. A worker has at
        most one window per channel in flight, so its `started` rows of a channel are exactly
        the window it just claimed.
        """
        at = now()
        with self.engine.begin() as connection:
            pick = (select(outbox.c.id)
                    .where(outbox.c.broadcast_id == broadcast_id, outbox.c.state == QUEUED,
                           outbox.c.channel == channel)
                    .order_by(outbox.c.id).limit(limit))
            if connection.dialect.name == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
            connection.execute(update(outbox)
                               .where(outbox.c.id.in_(pick.scalar_subquery()))
                               .values(state=STARTED, worker=worker, started_at=at,
                                       updated_at=at)
                               .execution_options(synchronize_session=False))
            rows = connection.execute(
                select(outbox.c.id, outbox.c.person, outbox.c.channel, outbox.c.language,
                       outbox.c.country)
                .where(outbox.c.broadcast_id == broadcast_id, outbox.c.state == STARTED,
                       outbox.c.worker == worker, outbox.c.channel == channel)
                .order_by(outbox.c.id)).all()
        return [Recipient(row.id, row.person, row.channel, row.language, row.country)
                for row in rows]

    def record(self, results: Sequence[Result]) -> None:
        """Record the results of a window in one transaction."""
        if not results:
            return
        at = now()
        with self.engine.begin() as connection:
            connection.execute(
                update(outbox).where(outbox.c.id == bindparam("row_id"))
                .values(state=bindparam("new_state"), reason=bindparam("new_reason"),
                        vendor_id=bindparam("new_vendor_id"), updated_at=at),
                [{"row_id": r.id, "new_state": r.state, "new_reason": r.reason,
                  "new_vendor_id": r.vendor_id} for r in results])

    def heartbeat(self, worker: str) -> None:
        """Say that `worker` is alive."""
        at = now()
        with self.engine.begin() as connection:
            done = connection.execute(update(workers).where(workers.c.id == worker)
                                      .values(heartbeat=at))
            if not done.rowcount:
                connection.execute(workers.insert().values(id=worker, heartbeat=at))

    def retire(self, worker: str) -> None:
        """Forget a worker that stopped cleanly."""
        with self.engine.begin() as connection:
            connection.execute(delete(workers).where(workers.c.id == worker))

    def recover(self, stale_after: float) -> int:
        """Turn the started rows of dead workers into `uncertain`; return how many.

        A worker is dead when its heartbeat is older than `stale_after` seconds (or gone).
        """
        cutoff = now() - timedelta(seconds=stale_after)
        with self.engine.begin() as connection:
            alive = select(workers.c.id).where(workers.c.heartbeat >= cutoff)
            result = connection.execute(
                update(outbox)
                .where(outbox.c.state == STARTED,
                       ~outbox.c.worker.in_(alive.scalar_subquery()))
                .values(state=UNCERTAIN, reason="in_flight_at_crash", updated_at=now())
                .execution_options(synchronize_session=False))
            connection.execute(delete(workers).where(workers.c.heartbeat < cutoff))
        return int(result.rowcount or 0)

    def counts(self, broadcast_id: int) -> dict[str, int]:
        """Return the number of outbox rows in each state."""
        counts = dict.fromkeys(OUTBOX_STATES, 0)
        with self.engine.connect() as connection:
            for state, number in connection.execute(
                    select(outbox.c.state, func.count())
                    .where(outbox.c.broadcast_id == broadcast_id).group_by(outbox.c.state)):
                counts[state] = int(number)
        return counts

    def reasons(self, broadcast_id: int) -> dict[str, int]:
        """Return why rows were skipped or failed, with counts."""
        with self.engine.connect() as connection:
            return {f"{state}:{reason}": int(number) for state, reason, number in
                    connection.execute(
                        select(outbox.c.state, outbox.c.reason, func.count())
                        .where(outbox.c.broadcast_id == broadcast_id,
                               outbox.c.reason.is_not(None))
                        .group_by(outbox.c.state, outbox.c.reason))}

    def remaining(self, broadcast_id: int) -> int:
        """Return how many rows are still queued or started."""
        with self.engine.connect() as connection:
            return int(connection.execute(
                select(func.count()).select_from(outbox)
                .where(outbox.c.broadcast_id == broadcast_id,
                       outbox.c.state.in_((QUEUED, STARTED)))).scalar_one())

    def finish_if_done(self, broadcast_id: int) -> bool:
        """Mark a sending broadcast done when nothing is queued or started; return True then."""
        if self.remaining(broadcast_id):
            return False
        with self.engine.begin() as connection:
            connection.execute(update(broadcasts)
                               .where(broadcasts.c.id == broadcast_id,
                                      broadcasts.c.state == SENDING)
                               .values(state=DONE, finished_at=now()))
        return True

    def skip_queued(self, broadcast_id: int, reason: str) -> int:
        """Skip every queued row (a cancellation); return how many."""
        with self.engine.begin() as connection:
            result = connection.execute(
                update(outbox).where(outbox.c.broadcast_id == broadcast_id,
                                     outbox.c.state == QUEUED)
                .values(state=SKIPPED, reason=reason, updated_at=now()))
        return int(result.rowcount or 0)

    def requeue_uncertain(self, broadcast_id: int) -> int:
        """Queue the uncertain rows again (the operator accepts possible duplicates)."""
        with self.engine.begin() as connection:
            result = connection.execute(
                update(outbox).where(outbox.c.broadcast_id == broadcast_id,
                                     outbox.c.state == UNCERTAIN)
                .values(state=QUEUED, reason=None, worker=None, updated_at=now()))
            if result.rowcount:
                connection.execute(update(broadcasts)
                                   .where(broadcasts.c.id == broadcast_id)
                                   .values(state=SENDING, finished_at=None))
        return int(result.rowcount or 0)

    def by_vendor_id(self, vendor_id: str) -> dict[str, Any] | None:
        """Return the outbox row (with its broadcast's topic) a vendor message id belongs to."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(outbox, broadcasts.c.topic)
                .join(broadcasts, broadcasts.c.id == outbox.c.broadcast_id)
                .where(outbox.c.vendor_id == vendor_id)).first()
        return None if row is None else dict(row._mapping)

    def set_delivery(self, row_id: int, state: str, reason: str | None = None) -> bool:
        """Move a sent row to delivered or failed; return False if it was already final."""
        allowed = (SENT,) if state == FAILED else (SENT, FAILED)
        with self.engine.begin() as connection:
            result = connection.execute(
                update(outbox).where(and_(outbox.c.id == row_id, outbox.c.state.in_(allowed)))
                .values(state=state, reason=reason, updated_at=now()))
        return bool(result.rowcount)

    def forget_person(self, person: str) -> None:
        """Delete every outbox row of a person who asked to delete their data."""
        with self.engine.begin() as connection:
            connection.execute(delete(outbox).where(outbox.c.person == person))


def _decoded(row: Any) -> dict[str, Any]:
    data = dict(row._mapping)
    for name in ("texts", "templates", "audience"):
        data[name] = json.loads(data[name])
    return data
