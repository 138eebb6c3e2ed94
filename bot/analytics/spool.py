"""A bounded local file where analytics operations wait while the database is unreachable.

One JSON object per line, in the order the operations happened: events (`"op": "event"`) and
deletions of a person's rows (`"op": "forget"`). The recorder replays the file in order when the
database answers again; inserts are idempotent (keyed by the event id) and deletions are too, so
replaying a file twice (a crash between the database commit and the file's removal) counts
nothing twice and resurrects nothing deleted.

The spool holds what the events table holds (codes, hours, person keys) and nothing more. It is
bounded by a number of events: when full, new events are dropped and counted (the recorder logs
the count, never an event); a deletion is never dropped and removes that person's events from
the file at once. The file is created with mode 0600 and locked (flock on a sidecar file) while
in use, in case two processes were given the same path.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class Event:
    """One turn, as the events table stores it."""

    event_id: str
    hour: datetime
    channel: str
    language: str
    country: str
    topic: str
    outcome: str
    person: int
    key_id: str

    def row(self) -> dict[str, object]:
        """Return the event as a row of `analytics_events`."""
        return asdict(self)


@dataclass(frozen=True)
class Forget:
    """Delete every row keyed to `person`."""

    person: int


Operation = Event | Forget


def encode(operation: Operation) -> str:
    """Return one spool line (without its newline)."""
    if isinstance(operation, Forget):
        return json.dumps({"op": "forget", "person": operation.person})
    row = operation.row()
    row["hour"] = operation.hour.isoformat()
    return json.dumps({"op": "event", **row}, separators=(",", ":"))


def decode(line: str) -> Operation:
    """Return the operation of one spool line; raise ValueError if it is not one."""
    data = json.loads(line)
    kind = data.pop("op", None)
    if kind == "forget":
        return Forget(int(data["person"]))
    if kind == "event":
        data["hour"] = datetime.fromisoformat(data["hour"])
        return Event(**data)
    raise ValueError("not a spool operation")


class Spool:
    """The file of operations waiting for the database."""

    def __init__(self, path: Path, max_events: int) -> None:
        self.path = path
        self.max_events = max_events
        self.dropped = 0
        self._operations = 0
        self._events = 0
        with self._locked():
            for operation in self._read():
                self._count(operation, 1)

    def __len__(self) -> int:
        """Return how many operations wait."""
        return self._operations

    @property
    def events(self) -> int:
        """Return how many events wait."""
        return self._events

    def append(self, operations: list[Operation]) -> int:
        """Add operations in order; return how many events were dropped for lack of room."""
        dropped = 0
        with self._locked():
            lines: list[str] = []
            for operation in operations:
                if isinstance(operation, Forget):
                    if lines:
                        self._write_lines(lines)
                        lines = []
                    self._purge(operation.person)
                elif self._events >= self.max_events:
                    dropped += 1
                    continue
                lines.append(encode(operation))
                self._count(operation, 1)
            self._write_lines(lines)
        self.dropped += dropped
        return dropped

    def read(self) -> list[Operation]:
        """Return every waiting operation, oldest first."""
        with self._locked():
            return list(self._read())

    def replace(self, operations: list[Operation]) -> None:
        """Keep only `operations` (what is still to be written after a partial replay)."""
        with self._locked():
            self._rewrite(operations)

    def _purge(self, person: int) -> None:
        kept = [op for op in self._read() if not (isinstance(op, Event) and op.person == person)]
        self._rewrite(kept)

    def _rewrite(self, operations: list[Operation]) -> None:
        if not operations:
            self.path.unlink(missing_ok=True)
        else:
            temporary = self.path.with_name(self.path.name + ".tmp")
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.writelines(encode(op) + "\n" for op in operations)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        self._operations = self._events = 0
        for operation in operations:
            self._count(operation, 1)

    def _write_lines(self, lines: list[str]) -> None:
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(descriptor, "a") as handle:
            handle.write("".join(line + "\n" for line in lines))
            handle.flush()
            os.fsync(handle.fileno())

    def _read(self) -> Iterator[Operation]:
        try:
            handle = self.path.open()
        except FileNotFoundError:
            return
        with handle:
            for line in handle:
                try:
                    yield decode(line)
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a crash: nothing to replay

    def _count(self, operation: Operation, sign: int) -> None:
        self._operations += sign
        if isinstance(operation, Event):
            self._events += sign

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT,
                       0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            os.close(lock)
