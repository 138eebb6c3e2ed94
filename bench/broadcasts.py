"""Broadcast sending: time at a rate limit and with limits off, memory, and a forced crash.

Starts local fake Telegram Bot API and Twilio REST servers (tests/fakes/) on 127.0.0.1, a fresh
SQLite database with COUNT Telegram subscribers, and runs `migrant-bot broadcast send` as its
own process (as an operator would), three times:

* paced: at `--rate` messages/s (default 30, Telegram's bulk limit); the goal is to finish
  within 5 % of COUNT / rate (10,000 at 30/s: 333 s);
* unlimited: rate limits off, as fast as the machine allows (msg/s);
* crash: limits off, the fake answering each send after `--latency` seconds, the sender killed
  with SIGKILL once a third of the messages went out, then started again; every recipient is
  checked against what the fake received: duplicates (goal 0), lost (goal 0), uncertain (goal:
  no more than BROADCAST_IN_FLIGHT).

Peak memory is the sender process's maximum resident set size.

Usage: .venv/bin/python bench/broadcasts.py [--count 10000] [--rate 30] [--skip-paced]
       [--in-flight 16] [--latency 0.02]
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from bot.broadcasts.service import BroadcastService, Draft  # noqa: E402
from bot.broadcasts.store import outbox  # noqa: E402
from bot.db import create_engine_for  # noqa: E402
from bot.migrations import upgrade  # noqa: E402
from bot.paths import REPO_ROOT  # noqa: E402
from bot.pseudonym import pseudonym  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.subscriptions import SubscriptionStore  # noqa: E402
from tests.broadcasts.conftest import broadcast_env  # noqa: E402
from tests.conftest import PSEUDONYM_KEY, TELEGRAM_TOKEN, TWILIO_SID, TWILIO_TOKEN  # noqa: E402
from tests.fakes.telegram import FakeTelegram  # noqa: E402
from tests.fakes.twilio import FakeTwilio  # noqa: E402

TEXT = "Canicule cette semaine : buvez de l'eau, restez à l'ombre. Urgence : 15."


def prepare(url: str, env: dict[str, str], count: int) -> tuple[int, dict[str, str]]:
    """Create COUNT subscribers and a queued broadcast; return its id and person -> chat."""
    engine = create_engine_for(url)
    upgrade(engine)
    settings = Settings.from_env(env)
    assert settings.subscriber_key is not None
    store = SubscriptionStore(engine, settings.subscriber_key)
    chats = {}
    for index in range(count):
        chat = str(10**9 + index)
        person = pseudonym(PSEUDONYM_KEY.encode(), "telegram", chat)
        store.subscribe(person, "telegram", chat, "fr", "Morocco", ["general"])
        chats[person] = chat
    service = BroadcastService(engine, settings)
    broadcast = service.create(Draft("Heat wave", "general", {"fr": TEXT}))
    service.queue(broadcast)
    engine.dispose()
    return broadcast, chats


def run_sender(env: dict[str, str], broadcast: int, log: Path,
               kill_when: int | None = None, fake: FakeTelegram | None = None
               ) -> tuple[float, int, int]:
    """Run one sender; return (seconds, exit code, peak RSS in MiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "broadcast", "send", str(broadcast)],
            cwd=REPO_ROOT, env={**os.environ, **env}, stdout=handle, stderr=handle)
        if kill_when is not None and fake is not None:
            fake.wait_for(lambda f: len(f.sent_messages()) >= kill_when, 600)
            process.send_signal(signal.SIGKILL)
        code = process.wait()
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, code, max(peak, before) // 1024


def audit(url: str, broadcast: int, chats: dict[str, str],
          fake: FakeTelegram) -> dict[str, int]:
    """Compare every recipient's outbox state with what the fake Telegram received."""
    engine = create_engine_for(url)
    with engine.connect() as connection:
        states = dict(connection.execute(
            select(outbox.c.person, outbox.c.state)
            .where(outbox.c.broadcast_id == broadcast)).all())
    engine.dispose()
    received = Counter(str(m["chat_id"]) for m in fake.sent_messages())
    duplicates = sum(1 for chat in chats.values() if received[chat] > 1)
    lost = sum(1 for person, chat in chats.items()
               if states.get(person) != "uncertain" and received[chat] == 0)
    wrong = sum(1 for person, chat in chats.items()
                if states.get(person) == "delivered" and received[chat] != 1)
    counts = Counter(states.values())
    return {"recipients": len(chats), "delivered": counts["delivered"],
            "uncertain": counts["uncertain"], "duplicates": duplicates, "lost": lost,
            "delivered_but_not_received": wrong}


def main() -> None:
    """Run the three measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--skip-paced", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-broadcasts-"))
    print(f"{args.count} Telegram subscribers, BROADCAST_IN_FLIGHT={args.in_flight}, "
          "SQLite, fakes on loopback", flush=True)
    with FakeTelegram(TELEGRAM_TOKEN) as telegram, FakeTwilio(TWILIO_SID, TWILIO_TOKEN) as twilio:
        runs = []
        if not args.skip_paced:
            runs.append(("paced", str(args.rate)))
        runs.append(("unlimited", "0"))
        for name, rate in runs:
            telegram.reset()
            url = f"sqlite:///{folder / f'{name}.sqlite3'}"
            env = broadcast_env(url, telegram, twilio, folder,
                                BROADCAST_TELEGRAM_RATE=rate,
                                BROADCAST_IN_FLIGHT=str(args.in_flight))
            broadcast, chats = prepare(url, env, args.count)
            seconds, code, peak = run_sender(env, broadcast, folder / f"{name}.log")
            result = audit(url, broadcast, chats, telegram)
            line = (f"{name}: {args.count} messages in {seconds:.1f} s = "
                    f"{args.count / seconds:.1f} msg/s; exit {code}; peak RSS {peak} MiB; "
                    f"delivered {result['delivered']}, duplicates {result['duplicates']}, "
                    f"lost {result['lost']}")
            if name == "paced":
                ideal = args.count / args.rate
                line += (f"; ideal {ideal:.1f} s at {args.rate:g}/s, "
                         f"{100 * (seconds - ideal) / ideal:+.1f} %")
            print(line, flush=True)

        telegram.reset()
        url = f"sqlite:///{folder / 'crash.sqlite3'}"
        env = broadcast_env(url, telegram, twilio, folder, BROADCAST_TELEGRAM_RATE="0",
                            BROADCAST_IN_FLIGHT=str(args.in_flight),
                            BROADCAST_WORKER_STALE_SECONDS="2")
        broadcast, chats = prepare(url, env, args.count)
        telegram.delay(args.latency)
        killed_at = args.count // 3
        run_sender(env, broadcast, folder / "crash.log", kill_when=killed_at, fake=telegram)
        sent_before = len(telegram.sent_messages())
        seconds, code, _ = run_sender(env, broadcast, folder / "crash.log")
        result = audit(url, broadcast, chats, telegram)
        print(f"crash: SIGKILL after {sent_before} sends (asked at {killed_at}), resumed in "
              f"{seconds:.1f} s, exit {code}: duplicates {result['duplicates']}, lost "
              f"{result['lost']}, uncertain {result['uncertain']} (in flight at most "
              f"{args.in_flight}), delivered {result['delivered']}, delivered but not "
              f"received {result['delivered_but_not_received']}", flush=True)


if __name__ == "__main__":
    main()
