"""Shared fixtures: the trained model, a real server started with `migrant-bot serve`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.paths import MODELS_DIR, REPO_ROOT
from bot.server import free_port

os.environ["RASA_TELEMETRY_ENABLED"] = "false"
MODEL = MODELS_DIR / "current.tar.gz"
MIGRANT_BOT = REPO_ROOT / ".venv" / "bin" / "migrant-bot"


@pytest.fixture(scope="session")
def model() -> Path:
    if not MODEL.is_file():
        pytest.fail("no trained model: run the tests with 'make test', which trains it first")
    return MODEL


class RunningServer:
    """A `migrant-bot serve` process and its captured log."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log = log

    def post(self, body: Any, raw: bytes | None = None) -> tuple[int, Any]:
        """POST to the REST webhook; return (status, decoded JSON)."""
        data = raw if raw is not None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/webhooks/rest/webhook", data=data,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return reply.status, json.load(reply)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def chat(self) -> Chat:
        """Start a new conversation."""
        return Chat(self, f"test-{uuid.uuid4().hex[:10]}")


class Chat:
    """One conversation over the REST channel."""

    def __init__(self, server: RunningServer, sender: str) -> None:
        self.server = server
        self.sender = sender

    def say(self, text: str, **metadata: str) -> list[str]:
        """Send `text`; return the texts of the replies."""
        body: dict[str, Any] = {"sender": self.sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        status, replies = self.server.post(body)
        assert status == 200, replies
        return [r["text"] for r in replies if r.get("text")]


def start_server(log: Path, env: dict[str, str] | None = None) -> RunningServer:
    """Run `migrant-bot serve` on free ports and wait until it serves."""
    port = free_port()
    handle = log.open("wb")
    process = subprocess.Popen(
        [str(MIGRANT_BOT), "serve", "--port", str(port), "--action-port", str(free_port())],
        stdout=handle, stderr=subprocess.STDOUT, cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if "serving on" in log.read_text(errors="replace"):
            return RunningServer(process, f"http://127.0.0.1:{port}", log)
        if process.poll() is not None:
            break
        time.sleep(0.5)
    process.kill()
    pytest.fail(f"migrant-bot serve did not start:\n{log.read_text(errors='replace')[-3000:]}")


def stop_server(server: RunningServer) -> int:
    """SIGTERM the server; return its exit code."""
    server.process.send_signal(signal.SIGTERM)
    try:
        return server.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.process.kill()
        raise


@pytest.fixture(scope="session")
def server(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("serve") / "serve.log")
    yield running
    stop_server(running)
