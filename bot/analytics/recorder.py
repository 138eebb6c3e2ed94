"""Write analytics events off the reply path, and survive the database being down.

`Recorder.record` only appends to an in-process queue (a few microseconds) and never blocks or
raises; one background thread takes what is queued in batches and writes each batch in one
transaction. Inserts are idempotent (keyed by the event id), so nothing written twice is counted
twice.

When a write fails (the database is down, the network is cut), the batch goes to the spool
(`bot.analytics.spool`) and so does everything after it, to keep the order; every
`retry_seconds` the writer tries to replay the spool, and once it is empty the queue goes to the
database again. Nothing is lost unless a bound is reached: the queue holds `max_queue`
operations (a writer stuck that long is rare: then events are dropped and counted), the spool
`ANALYTICS_SPOOL_MAX_EVENTS` events. Deletions (`forget`) are never dropped.

`close` (at process exit) writes what is queued, to the database or the spool.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from datetime import datetime

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.analytics import schema
from bot.analytics.spool import Event, Forget, Operation, Spool
from bot.migrations import ensure_schema

logger = logging.getLogger(__name__)

REPLAY_CHUNK = 5_000
CELL = ("day", "channel", "language", "country", "topic", "outcome")


class Recorder:
    """The queue, the writer thread and the spool."""

    def __init__(
        self,
        engine: Engine,
        spool: Spool,
        *,
        max_queue: int = 50_000,
        batch_size: int = 1_000,
        retry_seconds: float = 5.0,
        linger_seconds: float = 0.5,
    ) -> None:
        self.engine = engine
        self.spool = spool
        self.max_queue = max_queue
        self.batch_size = batch_size
        self.retry_seconds = retry_seconds
        self.linger_seconds = linger_seconds
        self.written = 0
        self.dropped = 0
        self._queue: deque[Operation] = deque()
        self._condition = threading.Condition()
        self._queued = 0
        self._handled = 0
        self._closing = False
        self._urgent = False
        self._schema_ready = False
        self._next_replay = 0.0
        self._logged_drops = 0
        self._thread = threading.Thread(target=self._run, name="analytics-writer", daemon=True)
        self._thread.start()

    # --- the reply path -------------------------------------------------------------------

    def record(self, event: Event) -> bool:
        """Queue `event`; return False (and count it) if the queue is full or closed."""
        with self._condition:
            if self._closing or len(self._queue) >= self.max_queue:
                self.dropped += 1
                return False
            self._queue.append(event)
            self._queued += 1
            self._condition.notify()
        return True

    def forget(self, person: int) -> None:
        """Queue the deletion of every row keyed to `person` (never dropped)."""
        with self._condition:
            self._queue.append(Forget(person))
            self._queued += 1
            self._urgent = True
            self._condition.notify()

    # --- control ----------------------------------------------------------------------------

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is written to the database or the spool."""
        deadline = time.monotonic() + timeout
        with self._condition:
            target = self._queued
            self._urgent = True
            self._condition.notify_all()
            while self._handled < target:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._thread.is_alive():
                    return False
                self._condition.wait(remaining)
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the writer."""
        with self._condition:
            self._closing = True
            self._condition.notify_all()
        self._thread.join(timeout)

    @property
    def spooled(self) -> int:
        """Return how many events wait in the spool."""
        return self.spool.events

    def stats(self) -> dict[str, int]:
        """Return counts for health checks and the bench (no identifiers)."""
        return {"queued": len(self._queue), "written": self.written, "spooled": self.spooled,
                "dropped": self.dropped + self.spool.dropped}

    # --- the writer thread ------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._condition:
                if not self._queue and not self._closing:
                    self._condition.wait(self.retry_seconds if len(self.spool) else None)
                # Gather turns for a moment so that one transaction writes many: written one
                # by one, each turn cost the action server ~10 ms of CPU in commits. A flush,
                # a deletion or shutdown writes at once.
                deadline = time.monotonic() + self.linger_seconds
                while (self._queue and not (self._closing or self._urgent)
                       and len(self._queue) < self.batch_size):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._condition.wait(remaining)
                batch = [self._queue.popleft()
                         for _ in range(min(self.batch_size, len(self._queue)))]
                stop = self._closing and not self._queue
                if not self._queue:
                    self._urgent = False
            try:
                self._handle(batch)
            except Exception as error:  # never let the thread die: spool and go on
                logger.error("analytics: unexpected %s in the writer", type(error).__name__)
                self._to_spool(batch)
            with self._condition:
                self._handled += len(batch)
                self._condition.notify_all()
            if stop:
                return

    def _handle(self, batch: list[Operation]) -> None:
        if len(self.spool) and (self._closing or time.monotonic() >= self._next_replay):
            self._replay()
        if not batch:
            return
        if len(self.spool):
            self._to_spool(batch)
            return
        try:
            self._write(batch)
        except SQLAlchemyError as error:
            self._unavailable(error)
            self._to_spool(batch)

    def _write(self, batch: list[Operation]) -> None:
        if not self._schema_ready:
            ensure_schema(self.engine)
            self._schema_ready = True
        with self.engine.begin() as connection:
            apply(connection, batch)
        self.written += sum(1 for op in batch if isinstance(op, Event))

    def _replay(self) -> None:
        operations = self.spool.read()
        for start in range(0, len(operations), REPLAY_CHUNK):
            chunk = operations[start:start + REPLAY_CHUNK]
            try:
                self._write(chunk)
            except SQLAlchemyError as error:
                self._unavailable(error)
                self.spool.replace(operations[start:])
                return
        self.spool.replace([])
        if operations:
            logger.warning("analytics: database reachable again; %d spooled operation(s) written",
                           len(operations))

    def _unavailable(self, error: SQLAlchemyError) -> None:
        if not len(self.spool):
            # the class name only: a driver's message can quote the rows it failed to write
            logger.warning("analytics: database unavailable (%s); spooling events locally",
                           type(error).__name__)
        self._schema_ready = False
        self._next_replay = time.monotonic() + self.retry_seconds

    def _to_spool(self, batch: list[Operation]) -> None:
        if not batch:
            return
        try:
            self.spool.append(batch)
        except OSError as error:
            self.dropped += sum(1 for op in batch if isinstance(op, Event))
            logger.error("analytics: cannot write the spool (%s); events dropped",
                         type(error).__name__)
        dropped = self.spool.dropped
        if dropped > self._logged_drops:
            logger.warning("analytics: the spool is full; %d event(s) dropped so far", dropped)
            self._logged_drops = dropped


def apply(connection: Connection, operations: list[Operation]) -> None:
    """Write operations in order in the caller's transaction (idempotent).

    New events go to `analytics_events` and are added to the daily counts; an event already
    stored (a spool replayed twice) is skipped, so it is never counted twice. A deletion removes
    the person's events; the daily counts, which hold no person key, keep the turns.
    """
    events: list[Event] = []
    hours: dict[str, tuple[datetime, datetime]] = {}
    for operation in operations:
        if isinstance(operation, Event):
            events.append(operation)
            first, last = hours.get(operation.key_id, (operation.hour, operation.hour))
            hours[operation.key_id] = (min(first, operation.hour), max(last, operation.hour))
        else:
            _insert_events(connection, events)
            events = []
            connection.execute(delete(schema.events)
                               .where(schema.events.c.person == operation.person))
    _insert_events(connection, events)
    for key, (first, last) in hours.items():
        _note_key(connection, key, first, last)


def _dialect_insert(connection: Connection, table: schema.Table):  # type: ignore[no-untyped-def]
    module = postgresql if connection.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def _insert_events(connection: Connection, events: list[Event]) -> None:
    if not events:
        return
    ids = [event.event_id for event in events]
    known: set[str] = set()
    for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
        known.update(connection.execute(
            select(schema.events.c.event_id)
            .where(schema.events.c.event_id.in_(ids[start:start + 500]))).scalars())
    fresh = {event.event_id: event for event in events if event.event_id not in known}
    if not fresh:
        return
    connection.execute(
        _dialect_insert(connection, schema.events).on_conflict_do_nothing(
            index_elements=["event_id"]),
        [event.row() for event in fresh.values()])
    cells: Counter[tuple[object, ...]] = Counter(
        (event.hour.date(), event.channel, event.language, event.country, event.topic,
         event.outcome) for event in fresh.values())
    statement = _dialect_insert(connection, schema.daily)
    statement = statement.on_conflict_do_update(
        index_elements=[*CELL], set_={"events": schema.daily.c.events + statement.excluded.events})
    connection.execute(statement, [{**dict(zip(CELL, cell, strict=True)), "events": count}
                                   for cell, count in cells.items()])


def _note_key(connection: Connection, key: str, first: datetime, last: datetime) -> None:
    table = schema.keys
    statement = _dialect_insert(connection, table).values(key_id=key, first_hour=first,
                                                          last_hour=last)
    statement = statement.on_conflict_do_update(
        index_elements=["key_id"],
        set_={
            "first_hour": case((statement.excluded.first_hour < table.c.first_hour,
                                statement.excluded.first_hour), else_=table.c.first_hour),
            "last_hour": case((statement.excluded.last_hour > table.c.last_hour,
                               statement.excluded.last_hour), else_=table.c.last_hour),
        },
    )
    connection.execute(statement)
