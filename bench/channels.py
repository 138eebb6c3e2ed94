"""Webhook-to-send latency and throughput of the Telegram and Twilio channels.

Starts local fake Telegram Bot API and Twilio REST servers (tests/fakes/) and a real
`migrant-bot serve` pointed at them, then:
* latency: C concurrent conversations (1, 10, 50), each sending its next message as soon as
  the previous answer reached the fake (back to back: the server saturated); the time from
  the webhook POST to the first send the fake receives for that chat, p50 and p95, and
  answered messages per second;
* the same at 10 concurrent conversations at a human pace (each person takes THINK seconds to
  read the answer and reply), on Telegram and on SMS (signed Twilio webhook), and SMS back to
  back;
* flood: FLOOD_SECONDS of 50 conversations offering FLOOD_RATE messages/s in all, without
  waiting for answers; every webhook must get 200 and every message an answer, and the
  sustained rate (messages answered / time to answer them all) is printed.
Each conversation restarts every 10 messages, as real conversations are short. Everything runs
on 127.0.0.1 and every loop is bounded in count and time.

Usage: .venv/bin/python bench/channels.py [--messages 20] [--flood-seconds 60] [--flood-rate 40]
       [--think 2] [--workers 1] [--no-send-limits] [--flood-only]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from twilio.request_validator import RequestValidator  # noqa: E402

from bot.paths import MODELS_DIR, REPO_ROOT  # noqa: E402
from bot.server import free_port  # noqa: E402
from tests.conftest import (  # noqa: E402
    PUBLIC_BASE_URL,
    SMS_FROM,
    TELEGRAM_TOKEN,
    TWILIO_SID,
    TWILIO_TOKEN,
    WEBHOOK_SECRET,
    channel_env,
)
from tests.fakes.telegram import FakeTelegram  # noqa: E402
from tests.fakes.twilio import FakeTwilio  # noqa: E402

MESSAGES = ["hello", "is the hospital free?", "2", "je suis enceinte", "مرحبا، بغيت طبيب",
            "estoy en Tanger", "1", "where is the nearest clinic", "ok", "emergency ambulance"]
_ids = itertools.count(1)


def post(url: str, data: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as reply:
        reply.read()
        return reply.status


def telegram_post(base: str, chat_id: int, text: str) -> int:
    update = {"update_id": next(_ids), "message": {
        "message_id": next(_ids), "date": int(time.time()), "text": text,
        "chat": {"id": chat_id, "type": "private"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "B", "language_code": "en"}}}
    return post(f"{base}/webhooks/telegram/webhook", json.dumps(update).encode(),
                {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token":
                 WEBHOOK_SECRET})


def sms_post(base: str, number: str, text: str) -> int:
    params = {"AccountSid": TWILIO_SID, "From": number, "To": SMS_FROM, "Body": text,
              "MessageSid": f"SM{next(_ids):032x}", "NumMedia": "0"}
    path = "/webhooks/twilio/webhook"
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_BASE_URL + path, params)
    return post(f"{base}{path}", urllib.parse.urlencode(params).encode(),
                {"Content-Type": "application/x-www-form-urlencoded",
                 "X-Twilio-Signature": signature})


def run_clients(run: Callable[[int], None], clients: int) -> None:
    """Run `run(i)` for each client in its own thread and wait for them all."""
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def conversation_latencies(base: str, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio,
                           clients: int, messages: int, channel: str,
                           think: float = 0.0) -> tuple[list[float], float]:
    """Run `clients` conversations of `messages` turns; return latencies and the duration.

    Each conversation sends its next message about `think` seconds after the previous answer
    arrived (0: at once, which measures the server saturated rather than at a human pace).
    People do not type in step: each waits a random 0.5-1.5 x `think` (seeded, the same every
    run) and starts at a random moment of the first `think` seconds. With a fixed pause and a
    common start, ten clients stay in lockstep and every message lands in a burst of ten,
    which no group of real people does.
    """
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    fake: FakeTelegram | FakeTwilio = fake_telegram if channel == "telegram" else fake_twilio
    method = "sendMessage" if channel == "telegram" else "Messages.create"

    def sends(address: str | int) -> list[float]:
        return [c.at for c in fake.calls_for(address)
                if c.method == method and c.status in (200, 201)]

    def run(client: int) -> None:
        pace = random.Random(client)
        if think:
            time.sleep(pace.uniform(0, think))
        for turn in range(messages):
            address: str | int
            session = turn // 10
            if channel == "telegram":
                address = 7_000_000 + client * 1000 + session
            else:
                address = f"+2126{client:04d}{session:04d}"
            before = len(sends(address))
            started = time.monotonic()
            text = MESSAGES[turn % len(MESSAGES)]
            status = (telegram_post(base, int(address), text) if channel == "telegram"
                      else sms_post(base, str(address), text))
            fake.wait_for(lambda _, a=address, b=before: len(sends(a)) > b, 30)  # type: ignore[misc]
            done = sends(address)
            arrived = done[before] if len(done) > before else None
            # Let the rest of this turn's messages go out, then read and type.
            time.sleep(0.01 + (pace.uniform(0.5 * think, 1.5 * think) if think else 0.0))
            with lock:
                if status != 200 or arrived is None:
                    errors.append(f"status {status}, answered {arrived is not None}")
                else:
                    latencies.append(arrived - started)

    started = time.monotonic()
    run_clients(run, clients)
    if errors:
        print(f"  errors: {len(errors)} (first: {errors[0]})")
    return latencies, time.monotonic() - started


def flood(base: str, fake: FakeTelegram, seconds: float, rate: float, clients: int = 50) -> None:
    """Offer `rate` messages/s from 50 conversations for `seconds`; check every one is answered."""
    fake.reset()
    posted: list[int] = []
    per_chat: dict[int, int] = {}
    failures: list[str] = []
    stop = time.monotonic() + seconds

    def run(client: int) -> None:
        count = 0
        period = clients / rate
        # Each client keeps its own schedule, whatever the server's answers take: an open load.
        next_at = time.monotonic() + period * client / clients
        while next_at < stop:
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at += period
            chat_id = 9_000_000 + client * 1000 + count // 10
            try:
                status = telegram_post(base, chat_id, MESSAGES[count % len(MESSAGES)])
            except OSError as error:  # urllib raises HTTPError (an OSError) for 4xx and 5xx
                failures.append(type(error).__name__)
                count += 1
                continue
            if status != 200:
                failures.append(str(status))
            else:
                per_chat[chat_id] = per_chat.get(chat_id, 0) + 1
            count += 1
        posted.append(count)

    started = time.monotonic()
    run_clients(run, clients)
    total = sum(posted)
    # Wait for the backlog to drain: each chat gets at least one send per message it posted.
    def all_answered() -> bool:
        return all(len([c for c in fake.calls_for(chat) if c.method == "sendMessage"
                        and c.status == 200]) >= count for chat, count in per_chat.items())

    deadline = time.monotonic() + 400
    while not (drained := all_answered()) and time.monotonic() < deadline:
        time.sleep(0.25)
    elapsed = time.monotonic() - started
    sends = len(fake.sent_messages())
    print(f"flood {seconds:.0f} s, {clients} clients: {total} messages posted "
          f"({total / seconds:.1f}/s), webhook errors {len(failures)}, "
          f"answered within {elapsed:.0f} s: {drained} ({sends} sends, "
          f"{total / elapsed:.1f} messages/s sustained incl. drain)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20, help="turns per conversation")
    parser.add_argument("--flood-seconds", type=float, default=60)
    parser.add_argument("--flood-rate", type=float, default=40, help="messages/s offered")
    parser.add_argument("--think", type=float, default=2.0,
                        help="seconds a person takes to read an answer and reply")
    parser.add_argument("--workers", type=int, default=1,
                        help="Rasa processes (serve --workers; more than one runs a throwaway "
                        "Redis, which they need)")
    parser.add_argument("--flood-only", action="store_true",
                        help="skip the latency runs (to find the rate the server sustains)")
    parser.add_argument("--no-send-limits", action="store_true",
                        help="lift Telegram's 30/s and Twilio's 10/s sender limits, to measure "
                        "the server rather than the vendors' limits")
    args = parser.parse_args()
    limits = "off" if args.no_send_limits else "Telegram 30/s, Twilio 10/s per sender"
    print(f"serve --workers {args.workers}; send limits {limits}", flush=True)
    model = MODELS_DIR / "current.tar.gz"
    with FakeTelegram(TELEGRAM_TOKEN) as fake_telegram, \
            FakeTwilio(TWILIO_SID, TWILIO_TOKEN) as fake_twilio, \
            tempfile.TemporaryDirectory() as folder:
        port = free_port()
        env = {**os.environ, **channel_env(fake_telegram, fake_twilio,
                                           Path(folder) / "bench.sqlite3"),
               "LOG_LEVEL": "WARNING"}
        if args.no_send_limits:
            env.update({"TELEGRAM_SEND_RATE": "0", "TWILIO_SEND_MPS": "0"})
        redis = None
        if args.workers > 1:
            from tests.redis_server import ThrowawayRedis

            redis = ThrowawayRedis().start()
            env["REDIS_URL"] = redis.url()
        log = (Path(folder) / "serve.log").open("wb")
        process = subprocess.Popen(
            [str(REPO_ROOT / ".venv" / "bin" / "migrant-bot"), "serve", "--port", str(port),
             "--model", str(model),
             "--workers", str(args.workers)],
            stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 240
            while "serving on" not in (Path(folder) / "serve.log").read_text(errors="replace"):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("the server did not start")
                time.sleep(0.5)
            # Warm every Rasa process (each traces its model on its first message).
            conversation_latencies(base, fake_telegram, fake_twilio, 4 * args.workers, 3,
                                   "telegram")
            runs = [("telegram", clients, 0.0) for clients in (1, 10, 50)]
            runs += [("telegram", 10, args.think), ("sms", 10, 0.0), ("sms", 10, args.think)]
            if args.flood_only:
                runs = []
            for channel, clients, think in runs:
                fake_telegram.reset()
                fake_twilio.reset()
                latencies, elapsed = conversation_latencies(
                    base, fake_telegram, fake_twilio, clients, args.messages, channel, think)
                pace = f"{think:.0f} s to reply" if think else "back to back"
                print(f"{channel:8} {clients:2} concurrent, {pace:13}: {len(latencies)} messages, "
                      f"webhook-to-send p50 {statistics.median(latencies) * 1000:.0f} ms, "
                      f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, "
                      f"{len(latencies) / elapsed:.1f} messages/s")
            if args.flood_seconds > 0:
                flood(base, fake_telegram, args.flood_seconds, args.flood_rate)
        finally:
            process.terminate()
            process.wait(timeout=60)
            if redis is not None:
                redis.stop()


if __name__ == "__main__":
    main()
