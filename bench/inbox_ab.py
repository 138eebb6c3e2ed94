"""What the durable inbox adds to a turn: one Telegram conversation, before and after.

Starts `migrant-bot serve` from another checkout without the inbox (`--before`, e.g. the main
branch with its own .venv and model) and from this one, one after the other, alternating
`--rounds` times so that the machine's drift hits both alike, each against the fake Bot API
(tests/fakes/) with the send limits lifted and a fresh SQLite database. Each run is one
conversation back to back (`--messages` turns): the webhook-to-send p50 and p95 are printed,
then the difference of the medians of the runs.

Usage: .venv/bin/python bench/inbox_ab.py --before /work/main [--messages 60] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import channels as channel_bench  # noqa: E402

from bot.paths import REPO_ROOT  # noqa: E402
from bot.server import free_port  # noqa: E402
from tests.conftest import TELEGRAM_TOKEN, TWILIO_SID, TWILIO_TOKEN, channel_env  # noqa: E402
from tests.fakes.telegram import FakeTelegram  # noqa: E402
from tests.fakes.twilio import FakeTwilio  # noqa: E402


def one_run(repo: Path, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio,
            messages: int) -> tuple[float, float]:
    """Serve from `repo`, run one conversation back to back; return p50 and p95 in ms."""
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, **channel_env(fake_telegram, fake_twilio,
                                           Path(folder) / "ab.sqlite3"),
               "LOG_LEVEL": "WARNING", "TELEGRAM_SEND_RATE": "0", "TWILIO_SEND_MPS": "0",
               "ANALYTICS_KEY_FILE": str(Path(folder) / "analytics.key")}
        env.pop("REDIS_URL", None)
        port = free_port()
        log = Path(folder) / "serve.log"
        process = subprocess.Popen(
            [str(repo / ".venv" / "bin" / "python"), "-m", "bot.cli", "serve", "--port",
             str(port)], stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=repo, env=env)
        try:
            deadline = time.monotonic() + 240
            while "serving on" not in log.read_text(errors="replace"):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit(f"serve from {repo} did not start")
                time.sleep(0.5)
            base = f"http://127.0.0.1:{port}"
            channel_bench.conversation_latencies(base, fake_telegram, fake_twilio, 2, 5,
                                                 "telegram")  # warm up
            fake_telegram.reset()
            latencies, _ = channel_bench.conversation_latencies(
                base, fake_telegram, fake_twilio, 1, messages, "telegram")
        finally:
            process.terminate()
            process.wait(timeout=60)
    return (statistics.median(latencies) * 1000,
            channel_bench.percentile(latencies, 0.95) * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True,
                        help="a checkout without the inbox, with its .venv and model")
    parser.add_argument("--messages", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {"before": [], "inbox": []}
    with FakeTelegram(TELEGRAM_TOKEN) as fake_telegram, \
            FakeTwilio(TWILIO_SID, TWILIO_TOKEN) as fake_twilio:
        for _ in range(args.rounds):
            for label, repo in (("before", args.before), ("inbox", REPO_ROOT)):
                p50, p95 = one_run(repo, fake_telegram, fake_twilio, args.messages)
                results[label].append((p50, p95))
                print(f"{label:6}: one conversation, {args.messages} messages back to back: "
                      f"webhook-to-send p50 {p50:.1f} ms, p95 {p95:.1f} ms", flush=True)
    for index, name in ((0, "p50"), (1, "p95")):
        before = statistics.median(run[index] for run in results["before"])
        after = statistics.median(run[index] for run in results["inbox"])
        print(f"{name}: before {before:.1f} ms, with the inbox {after:.1f} ms, "
              f"difference {after - before:+.1f} ms")


if __name__ == "__main__":
    main()
