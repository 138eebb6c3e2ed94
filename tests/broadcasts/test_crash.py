"""Kill the sender (SIGKILL) in the middle of a broadcast, start it again, and check every
recipient: nobody gets the message twice, and everybody either got it or is listed as
uncertain, no more of them than the sends that were in flight. Also on PostgreSQL, with two
senders sharing the work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.broadcasts.service import BroadcastService, Draft
from bot.broadcasts.store import outbox
from bot.db import create_engine_for
from bot.migrations import upgrade
from bot.paths import REPO_ROOT
from bot.settings import Settings
from bot.subscriptions import SubscriptionStore
from tests.broadcasts.conftest import add_subscriber, broadcast_env
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.postgres import ThrowawayPostgres

IN_FLIGHT = 8


def sender(env: dict[str, str], broadcast_id: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "broadcast", "send", str(broadcast_id)],
        cwd=REPO_ROOT, env={**os.environ, **env}, stdout=log.open("ab"),
        stderr=subprocess.STDOUT)


def audit(engine: Engine, broadcast_id: int, chats: dict[str, str],
          fake: FakeTelegram) -> Counter[str]:
    """Check every recipient; return the count of each final state."""
    sent_to = Counter(str(m["chat_id"]) for m in fake.sent_messages())
    with engine.connect() as connection:
        states = {row.person: row.state for row in connection.execute(
            select(outbox.c.person, outbox.c.state)
            .where(outbox.c.broadcast_id == broadcast_id))}
    assert set(states) == set(chats)
    for person, chat in chats.items():
        assert sent_to[chat] <= 1, "a recipient got the message twice"
        if states[person] == "delivered":
            assert sent_to[chat] == 1
        else:
            assert states[person] == "uncertain", states[person]
    return Counter(states.values())


def prepare(engine: Engine, settings: Settings, people: int) -> tuple[int, dict[str, str]]:
    assert settings.subscriber_key is not None
    store = SubscriptionStore(engine, settings.subscriber_key)
    chats = dict(add_subscriber(store, "telegram", "fr") for _ in range(people))
    service = BroadcastService(engine, settings)
    broadcast = service.create(Draft("Heat wave", "general", {"fr": "Canicule : buvez de l'eau."}))
    service.queue(broadcast)
    return broadcast, chats


def kill_and_resume(env: dict[str, str], engine: Engine, broadcast: int, chats: dict[str, str],
                    fake: FakeTelegram, log: Path, senders: int = 1) -> Counter[str]:
    fake.delay(0.03)
    first = [sender(env, broadcast, log) for _ in range(senders)]
    assert fake.wait_for(lambda f: len(f.sent_messages()) >= len(chats) // 3, 60), \
        log.read_text(errors="replace")
    for process in first:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    fake.delay(0)
    second = [sender(env, broadcast, log) for _ in range(senders)]
    codes = [process.wait(timeout=120) for process in second]
    counts = audit(engine, broadcast, chats, fake)
    assert counts["delivered"] + counts["uncertain"] == len(chats)
    assert counts["uncertain"] <= IN_FLIGHT * senders
    assert all(code == (3 if counts["uncertain"] else 0) for code in codes), \
        log.read_text(errors="replace")
    return counts


def test_sigkill_then_resume_sends_nothing_twice_and_loses_nobody(
        engine: Engine, settings: Settings, database_url: str, fake_telegram: FakeTelegram,
        fake_twilio: FakeTwilio, tmp_path: Path) -> None:
    broadcast, chats = prepare(engine, settings, 240)
    env = broadcast_env(database_url, fake_telegram, fake_twilio, tmp_path,
                        BROADCAST_IN_FLIGHT=str(IN_FLIGHT), BROADCAST_WORKER_STALE_SECONDS="1")
    counts = kill_and_resume(env, engine, broadcast, chats, fake_telegram,
                             tmp_path / "sender.log")
    assert counts["delivered"] >= len(chats) - IN_FLIGHT

    # The operator may ask for the uncertain ones; then everybody has it (and those few may
    # have it twice, which is why it is never done unasked).
    resent = subprocess.run(
        [sys.executable, "-m", "bot.cli", "broadcast", "send", str(broadcast),
         "--resend-uncertain"], cwd=REPO_ROOT, env={**os.environ, **env},
        capture_output=True, text=True, timeout=120)
    assert resent.returncode == 0, resent.stderr
    with engine.connect() as connection:
        states = Counter(connection.execute(
            select(outbox.c.state).where(outbox.c.broadcast_id == broadcast)).scalars())
    assert states == Counter({"delivered": len(chats)})


def test_two_senders_on_postgresql_share_the_work_and_survive_a_kill(
        postgres: ThrowawayPostgres, settings: Settings, fake_telegram: FakeTelegram,
        fake_twilio: FakeTwilio, tmp_path: Path) -> None:
    url = postgres.create_database()
    engine = create_engine_for(url)
    try:
        upgrade(engine)
        pg_settings = Settings.from_env(broadcast_env(url, fake_telegram, fake_twilio,
                                                      tmp_path))
        broadcast, chats = prepare(engine, pg_settings, 300)
        env = broadcast_env(url, fake_telegram, fake_twilio, tmp_path,
                            BROADCAST_IN_FLIGHT=str(IN_FLIGHT),
                            BROADCAST_WORKER_STALE_SECONDS="1")
        kill_and_resume(env, engine, broadcast, chats, fake_telegram,
                        tmp_path / "senders.log", senders=2)
    finally:
        engine.dispose()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_polite_stop_finishes_the_windows_in_flight(
        signum: int, engine: Engine, settings: Settings, database_url: str,
        fake_telegram: FakeTelegram, fake_twilio: FakeTwilio, tmp_path: Path) -> None:
    broadcast, chats = prepare(engine, settings, 120)
    env = broadcast_env(database_url, fake_telegram, fake_twilio, tmp_path,
                        BROADCAST_IN_FLIGHT=str(IN_FLIGHT))
    fake_telegram.delay(0.03)
    log = tmp_path / "sender.log"
    process = sender(env, broadcast, log)
    assert fake_telegram.wait_for(lambda f: len(f.sent_messages()) >= 30, 60)
    process.send_signal(signum)
    assert process.wait(timeout=30) == 0, log.read_text(errors="replace")
    fake_telegram.delay(0)
    with engine.connect() as connection:
        states = Counter(connection.execute(
            select(outbox.c.state).where(outbox.c.broadcast_id == broadcast)).scalars())
    assert states["started"] == 0 and states["uncertain"] == 0
    assert states["delivered"] == len(fake_telegram.sent_messages())
    assert "run the same command again" in log.read_text(errors="replace")
    # Going on later sends the rest, to nobody twice.
    assert sender(env, broadcast, log).wait(timeout=120) == 0
    assert audit(engine, broadcast, chats, fake_telegram) == Counter({"delivered": len(chats)})
