"""Start-up time, resident memory, turn latency and throughput of `migrant-bot serve`.

Starts the real server (Rasa, with the actions in process) on loopback, then:
* start-up: from process start until the REST channel answers;
* memory: resident set size of `serve` and its child processes after warm-up;
* latency: one user, TURNS sequential turns over /webhooks/rest/webhook, p50 and p95;
* throughput: CLIENTS concurrent users for SECONDS seconds, turns per second and p95.
Each user starts a new conversation every CONVERSATION turns (default 10): real conversations
are short, and Rasa's cost per turn grows with the length of the conversation (it replays and
serialises the whole tracker), which `--conversation 200` shows.
Every loop is bounded in count and time and talks only to 127.0.0.1.

Usage: .venv/bin/python bench/server.py [--turns 200] [--clients 8] [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

from bot.paths import MODELS_DIR, REPO_ROOT
from bot.server import free_port

MESSAGES = ["hello", "is the hospital free?", "2", "je suis enceinte", "مرحبا، بغيت طبيب",
            "estoy en Tanger", "1", "where is the nearest clinic", "ok", "emergency ambulance"]


def post(url: str, sender: str, text: str) -> float:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as reply:
        reply.read()
    return time.perf_counter() - started


def rss_mb(pid: int) -> float:
    """Return the resident memory of `pid` and its children, in MB."""
    total = 0
    pids = [pid]
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    pids += [int(p) for p in children.stdout.split()]
    for each in pids:
        status = Path(f"/proc/{each}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--conversation", type=int, default=10)
    args = parser.parse_args()
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(REPO_ROOT / ".venv/bin/migrant-bot"), "serve", "--port", str(port),
         "--model", str(MODELS_DIR / "current.tar.gz")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO_ROOT)
    assert process.stdout is not None
    for line in process.stdout:
        if "serving on" in line:
            break
    startup = time.perf_counter() - started
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    try:
        for i in range(20):
            post(url, "warm-up", MESSAGES[i % len(MESSAGES)])
        per = args.conversation
        latencies = [post(url, f"bench-one-{i // per}", MESSAGES[i % len(MESSAGES)]) * 1000
                     for i in range(args.turns)]
        memory = rss_mb(process.pid)
        done: list[float] = []
        deadline = time.monotonic() + args.seconds

        def client(n: int) -> None:
            i = 0
            while time.monotonic() < deadline:
                sender = f"bench-{n}-{i // args.conversation}"
                done.append(post(url, sender, MESSAGES[i % len(MESSAGES)]) * 1000)
                i += 1

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        load_started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - load_started
    finally:
        process.terminate()
        process.wait(timeout=60)
    print(f"start-up (process start to serving): {startup:.1f} s")
    print(f"resident memory (serve and its children, after warm-up): {memory:.0f} MB")
    print(f"one user, {args.turns} turns: p50 {statistics.median(latencies):.1f} ms, "
          f"p95 {percentile(latencies, 0.95):.1f} ms")
    print(f"{args.clients} concurrent users, {elapsed:.0f} s: {len(done) / elapsed:.1f} turns/s, "
          f"p50 {statistics.median(done):.1f} ms, p95 {percentile(done, 0.95):.1f} ms")


if __name__ == "__main__":
    main()
