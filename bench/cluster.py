"""Several `serve` instances behind nginx, sharing Redis and a database; the inbox's cost.

For each number of instances (1, 2, 3 by default), starts them on loopback with one Redis
(tests/redis_server.py), one database (a SQLite file, or a throwaway PostgreSQL with
`--database postgres`) and Debian's nginx in front (tests/nginx.py, round robin, no
stickiness), against the fake Telegram Bot API (tests/fakes/), with the vendors' send limits
lifted. Then prints, through nginx:
* one conversation back to back: webhook-to-send p50 and p95;
* 10 and 30 concurrent conversations back to back: p50, p95 and messages answered per second.

`--inbox` measures what the durable inbox costs a message, directly on the database: the
writes on the path from webhook to send (store, take, record the first send) and after it
(done), sequentially (one conversation), p50 and p95, on SQLite (WAL) and PostgreSQL.

`--crash` runs two instances behind nginx, floods them at `--rate` messages a second from
30 Telegram chats, SIGKILLs one instance (its whole process group) mid-flood, restarts it, and
counts the answers: lost (accepted with 200 but never answered), doubled, and the sends the
servers counted as uncertain (in flight at the kill: not repeated for non-urgent answers).
`--rolling` does the same with a rolling restart (SIGTERM, start, one instance after the
other) instead of a kill.

Usage: .venv/bin/python bench/cluster.py [--instances 1,2,3] [--database sqlite|postgres]
       [--messages 20] [--inbox] [--crash] [--rolling] [--rate 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import channels as channel_bench  # noqa: E402

from bot.paths import REPO_ROOT  # noqa: E402
from bot.server import free_port  # noqa: E402
from tests.conftest import TELEGRAM_TOKEN, TWILIO_SID, TWILIO_TOKEN, channel_env  # noqa: E402
from tests.fakes.telegram import FakeTelegram  # noqa: E402
from tests.fakes.twilio import FakeTwilio  # noqa: E402
from tests.nginx import ThrowawayNginx  # noqa: E402
from tests.postgres import ThrowawayPostgres  # noqa: E402
from tests.redis_server import ThrowawayRedis  # noqa: E402


class Instance:
    """One `migrant-bot serve` in a process group of its own."""

    def __init__(self, port: int, env: dict[str, str], log: Path) -> None:
        self.port = port
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Instance:
        start = self.log.stat().st_size if self.log.exists() else 0
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--port", str(self.port)],
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT, cwd=REPO_ROOT,
            env={**os.environ, **self.env}, start_new_session=True)
        deadline = time.monotonic() + 300
        while "serving on" not in self.log.read_text(errors="replace")[start:]:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit(f"serve did not start: {self.log}")
            time.sleep(0.5)
        return self

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)

    def uncertain(self) -> int:
        url = f"http://127.0.0.1:{self.port}/webhooks/telegram/"
        with urllib.request.urlopen(url, timeout=5) as reply:
            return int(json.load(reply)["uncertain"])


def shared_env(fake_telegram: FakeTelegram, fake_twilio: FakeTwilio, folder: Path,
               redis: ThrowawayRedis, database: str | None) -> dict[str, str]:
    env = {**channel_env(fake_telegram, fake_twilio, folder / "bench.sqlite3"),
           "REDIS_URL": redis.url(0), "LOG_LEVEL": "WARNING",
           "TELEGRAM_SEND_RATE": "0", "TWILIO_SEND_MPS": "0", "INBOX_LEASE_SECONDS": "10"}
    if database:
        env["DATABASE_URL"] = database
    return env


def start_cluster(count: int, env: dict[str, str], folder: Path
                  ) -> tuple[list[Instance], ThrowawayNginx]:
    ports = [free_port() for _ in range(count)]
    instances = [Instance(port, env, folder / f"serve{i}.log") for i, port in enumerate(ports)]
    for instance in instances:  # one at a time: start-up is CPU-bound
        instance.start()
    return instances, ThrowawayNginx(ports).start()


def latency_runs(base: str, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio,
                 instances: list[Instance], messages: int) -> None:
    count = len(instances)
    # Warm every Rasa process on every message of the bench, directly: TensorFlow traces its
    # graph again for each new input length, once per process, a few hundred milliseconds
    # each time; through the balancer, with more instances, those first turns would land in
    # the measured runs and make more instances look slower.
    for instance in instances:
        channel_bench.conversation_latencies(f"http://127.0.0.1:{instance.port}",
                                             fake_telegram, fake_twilio, 2,
                                             len(channel_bench.MESSAGES), "telegram")
    for clients in (1, 10, 30):
        fake_telegram.reset()
        latencies, elapsed = channel_bench.conversation_latencies(
            base, fake_telegram, fake_twilio, clients, messages, "telegram")
        print(f"  {count} instance(s), {clients:2} concurrent, back to back: "
              f"{len(latencies)} messages, p50 {statistics.median(latencies) * 1000:.0f} ms, "
              f"p95 {channel_bench.percentile(latencies, 0.95) * 1000:.0f} ms, "
              f"{len(latencies) / elapsed:.1f} messages/s", flush=True)


def inbox_cost(url: str, label: str, messages: int = 500) -> None:
    """Time the inbox's writes for `messages` messages of one conversation."""
    from bot.db import create_engine_for
    from bot.inbox import Inbox

    box = Inbox(create_engine_for(url), b"bench-key-" + b"b" * 32, "telegram",
                f"bench{random.randrange(10**6)}")
    text = "est-ce que je peux aller a l'hopital sans papiers ?"
    before: list[float] = []
    after: list[float] = []
    for n in range(messages):
        started = time.perf_counter()
        box.add(f"update:{n}:{box.owner}", "tg-bench", {"chat_id": 123456789, "text": text})
        [taken] = box.take(16)
        box.start_send(taken, 0, {"sends": [{"text": text * 4, "buttons": []}],
                                  "urgent": False})
        middle = time.perf_counter()
        box.done(taken)
        after.append(time.perf_counter() - middle)
        before.append(middle - started)
    print(f"inbox on {label}: store + take + record the send (before the send) "
          f"p50 {statistics.median(before) * 1000:.2f} ms, "
          f"p95 {channel_bench.percentile(before, 0.95) * 1000:.2f} ms; "
          f"done (after it) p50 {statistics.median(after) * 1000:.2f} ms, "
          f"p95 {channel_bench.percentile(after, 0.95) * 1000:.2f} ms", flush=True)


def disruption(instances: list[Instance], base: str, fake: FakeTelegram, rate: float,
               kind: str) -> None:
    """Flood `base` at `rate`; kill (or restart one by one) mid-flood; count the answers."""
    fake.reset()
    chats = [random.randrange(10**8, 10**9) for _ in range(30)]
    accepted: dict[int, int] = dict.fromkeys(chats, 0)
    statuses: dict[int, int] = {}
    stop = threading.Event()

    def flood() -> None:
        interval = 1 / rate
        next_at = time.monotonic()
        while not stop.is_set():
            for chat in chats:
                next_at += interval
                time.sleep(max(0.0, next_at - time.monotonic()))
                status = 0
                for _ in range(3):  # Telegram delivers again an update that got no 2xx
                    try:
                        status = channel_bench.telegram_post(base, chat, "hi")
                    except OSError as error:
                        status = getattr(error, "code", 0)
                    if status == 200:
                        break
                    time.sleep(1)
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    accepted[chat] += 1

    thread = threading.Thread(target=flood)
    thread.start()
    time.sleep(8)
    started = time.monotonic()
    if kind == "crash":
        instances[0].kill()
        instances[0].start()
    else:
        for instance in instances:
            instance.stop()
            instance.start()
    time.sleep(5)
    stop.set()
    thread.join()
    total = sum(accepted.values())
    deadline = time.monotonic() + 300
    while len(fake.sent_messages()) < total and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(3)
    answers = {chat: len(fake.sent_messages(chat)) for chat in chats}
    lost = sum(max(0, accepted[c] - answers[c]) for c in chats)
    doubled = sum(max(0, answers[c] - accepted[c]) for c in chats)
    uncertain = sum(instance.uncertain() for instance in instances)
    if lost:
        from sqlalchemy import create_engine, text

        engine = create_engine(instances[0].env["DATABASE_URL"], future=True)
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT state, attempts, sending, sent, count(*) FROM inbox "
                "GROUP BY state, attempts, sending, sent")).all()
        print(f"  inbox rows by state, attempts, sending, sent: {rows}")
    print(f"{kind} of {'one instance' if kind == 'crash' else 'both instances'} under "
          f"{rate:.0f} messages/s ({time.monotonic() - started:.0f} s disrupted and drained): "
          f"{total} accepted, webhook statuses {statuses}, lost {lost}, doubled {doubled}, "
          f"sends counted uncertain {uncertain}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default="1,2,3")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--messages", type=int, default=20, help="turns per conversation")
    parser.add_argument("--inbox", action="store_true", help="only the inbox's own cost")
    parser.add_argument("--crash", action="store_true", help="SIGKILL one of two mid-flood")
    parser.add_argument("--rolling", action="store_true", help="rolling restart of two")
    parser.add_argument("--rate", type=float, default=20.0, help="messages/s offered")
    args = parser.parse_args()
    postgres = ThrowawayPostgres().start() if args.database == "postgres" or args.inbox \
        else None
    try:
        if args.inbox:
            with tempfile.TemporaryDirectory() as folder:
                inbox_cost(f"sqlite:///{folder}/inbox.sqlite3", "SQLite (WAL)")
            assert postgres is not None
            inbox_cost(postgres.create_database(), "PostgreSQL")
            return
        with FakeTelegram(TELEGRAM_TOKEN) as fake_telegram, \
                FakeTwilio(TWILIO_SID, TWILIO_TOKEN) as fake_twilio:
            counts = [2] if args.crash or args.rolling else \
                [int(n) for n in args.instances.split(",")]
            for count in counts:
                # A fresh Redis and database for each count: the runs reuse the same chats,
                # and conversations left in Redis by the previous count would make every turn
                # of the next one replay a longer tracker (it once read as "more servers are
                # slower": the second count measured was slow, whichever it was).
                redis = ThrowawayRedis().start()
                with tempfile.TemporaryDirectory() as folder:
                    database = postgres.create_database() if postgres else None
                    env = shared_env(fake_telegram, fake_twilio, Path(folder), redis, database)
                    instances, nginx = start_cluster(count, env, Path(folder))
                    try:
                        print(f"{count} instance(s) behind nginx, Redis, "
                              f"{args.database}", flush=True)
                        if args.crash or args.rolling:
                            disruption(instances, nginx.url, fake_telegram, args.rate,
                                       "crash" if args.crash else "rolling restart")
                        else:
                            latency_runs(nginx.url, fake_telegram, fake_twilio, instances,
                                         args.messages)
                    finally:
                        nginx.stop()
                        for instance in instances:
                            instance.stop()
                        redis.stop()
    finally:
        if postgres is not None:
            postgres.stop()


if __name__ == "__main__":
    main()
