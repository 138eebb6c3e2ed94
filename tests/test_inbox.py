"""The durable inbox on a real SQLite file and a real PostgreSQL server.

Order per person, one holder per person across processes (two `Inbox` objects with their own
owners stand for two processes), leases that run out, fencing of a process that lost its
lease, de-duplication, and nothing readable left at rest.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db import create_engine_for
from bot.inbox import Inbox, LeaseLost, inbox, person_key
from tests.postgres import ThrowawayPostgres

KEY = b"test-inbox-key-" + b"k" * 32


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'inbox.sqlite3'}"
    else:
        server: ThrowawayPostgres = request.getfixturevalue("postgres")
        yield server.create_database()


def open_inbox(url: str, owner: str, lease: float = 30.0) -> Inbox:
    return Inbox(create_engine_for(url), KEY, "telegram", owner, lease_seconds=lease)


def test_a_message_is_stored_once_and_taken_in_order_per_person(database: str) -> None:
    box = open_inbox(database, "a")
    assert box.add("update:1", "tg-p", {"text": "first"})
    assert not box.add("update:1", "tg-p", {"text": "first"}), "a redelivery is a duplicate"
    assert box.add("update:2", "tg-p", {"text": "second"})
    assert box.add("update:3", "tg-q", {"text": "other person"})
    taken = box.take(10)
    assert [t.message for t in taken] == [{"text": "first"}, {"text": "other person"}], (
        "only the oldest unfinished message of a person can be taken")
    assert box.take(10) == []
    box.done(taken[0])
    [second] = box.take(10)
    assert second.message == {"text": "second"}
    assert box.backlog() == 2
    box.done(second)
    box.done(taken[1])
    assert box.backlog() == 0
    assert box.seen("update:1"), "a done message is still recognised when redelivered"
    assert not box.add("update:2", "tg-p", {"text": "second"})


def test_nothing_readable_is_stored_and_the_row_is_erased_when_done(
    database: str, tmp_path: Path
) -> None:
    box = open_inbox(database, "a")
    box.add("update:77", "tg-p", {"chat_id": 987654321, "text": "zebrafish-umbrella"})
    [taken] = box.take(1)
    box.start_send(taken, 0, {"sends": [{"text": "answer-ostrich"}], "urgent": False})
    with box.engine.connect() as connection:
        row = connection.execute(select(inbox)).one()
    for column in (row.payload, row.plan, row.dedup, row.person):
        for raw in ("987654321", "zebrafish", "ostrich", "update:77", "tg-p"):
            assert raw not in column
    box.done(taken)
    with box.engine.connect() as connection:
        row = connection.execute(select(inbox)).one()
    assert (row.payload, row.plan, row.person, row.received_at) == (None, None, None, None)
    if database.startswith("sqlite"):
        stored = b"".join(path.read_bytes() for path in tmp_path.glob("inbox.sqlite3*"))
        for raw in (b"987654321", b"zebrafish", b"ostrich", b"tg-p"):
            assert raw not in stored, "not even the pseudonym"


def test_a_process_that_dies_loses_its_rows_to_another_after_the_lease(database: str) -> None:
    dead = open_inbox(database, "dead", lease=0.3)
    alive = open_inbox(database, "alive", lease=30)
    dead.add("update:1", "tg-p", {"text": "hello"})
    [held] = dead.take(1)
    assert alive.take(1) == [], "a row under a live lease is not taken"
    time.sleep(0.4)
    [again] = alive.take(1)
    assert again.id == held.id and again.attempts == 2
    with pytest.raises(LeaseLost):
        dead.start_send(held, 0, {"sends": []})
    alive.start_send(again, 0, {"sends": [{"text": "x"}]})
    alive.done(again)
    dead.done(held)  # a late done from the dead owner changes nothing
    assert alive.backlog() == 0


def test_renewal_keeps_a_slow_turn_and_release_gives_rows_back(database: str) -> None:
    slow = open_inbox(database, "slow", lease=0.5)
    other = open_inbox(database, "other")
    slow.add("update:1", "tg-p", {"text": "hello"})
    slow.add("update:2", "tg-q", {"text": "hello"})
    held = slow.take(2)
    for _ in range(4):
        time.sleep(0.2)
        slow.renew([t.id for t in held])
    assert other.take(2) == []
    slow.release([held[1].id])
    [given] = other.take(2)
    assert given.message == {"text": "hello"} and given.person == person_key(KEY, "tg-q")


def test_competing_processes_take_each_row_once_and_never_two_of_a_person(
    database: str,
) -> None:
    people, per_person = 12, 8
    writer = open_inbox(database, "writer")
    for n in range(per_person):
        for p in range(people):
            writer.add(f"update:{p}:{n}", f"tg-{p}", {"n": n, "p": p})
    workers = [open_inbox(database, f"w{i}") for i in range(3)]
    handled: list[tuple[int, int]] = []
    holding: dict[str, str] = {}
    errors: list[str] = []
    lock = threading.Lock()

    def work(box: Inbox) -> None:
        idle = 0
        while idle < 20:
            taken = box.take(4)
            if not taken:
                idle += 1
                time.sleep(0.01)
                continue
            idle = 0
            for item in taken:
                with lock:
                    if item.person in holding:
                        errors.append(f"{item.person} held by two")
                    holding[item.person] = box.owner
                assert item.message is not None
                time.sleep(0.001)
                with lock:
                    handled.append((item.message["p"], item.message["n"]))
                    del holding[item.person]
                box.done(item)

    threads = [threading.Thread(target=work, args=(box,)) for box in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert Counter(handled) == Counter((p, n) for p in range(people) for n in range(per_person))
    for p in range(people):
        assert [n for q, n in handled if q == p] == list(range(per_person)), "in order"


def test_purge_forgets_old_done_rows(database: str) -> None:
    box = open_inbox(database, "a")
    box.add("update:1", "tg-p", {"text": "x"})
    [taken] = box.take(1)
    box.done(taken)
    assert box.purge(older_than=10**6) == 0
    assert box.purge(older_than=-3600) == 1
    assert not box.seen("update:1")


def test_the_webhooks_process_takes_a_message_at_once_only_when_nothing_waits_before_it(
    database: str,
) -> None:
    box = open_inbox(database, "a")
    added, first = box.add_and_take("update:1", "tg-p", {"text": "first"})
    assert added and first is not None and first.message == {"text": "first"}
    added, second = box.add_and_take("update:2", "tg-p", {"text": "second"})
    assert added and second is None, "the person's earlier message is unfinished"
    assert box.add_and_take("update:2", "tg-p", {"text": "second"}) == (False, None)
    assert box.take(10) == []
    box.done(first)
    [later] = box.take(10)
    assert later.message == {"text": "second"}
