"""Shared fixtures: the trained model, and a real server started with `migrant-bot serve`.

The session server has every channel on: Telegram and Twilio point at local fake vendor APIs
(tests/fakes/), so the same process answers REST, Telegram and Twilio webhooks.

The database, the analytics spool and the installation key of everything the tests run (this
process and the servers it starts) live in a temporary folder, never in the repository's var/.
`postgres` is a throwaway PostgreSQL server (tests/postgres.py) for the tests that run on both
databases, `redis_server` a throwaway Redis (tests/redis_server.py); without them those tests
skip, saying why.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from bot.paths import MODELS_DIR, REPO_ROOT
from bot.server import free_port
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.postgres import PostgresUnavailable, ThrowawayPostgres
from tests.redis_server import RedisUnavailable, ThrowawayRedis

os.environ["RASA_TELEMETRY_ENABLED"] = "false"
_STATE = Path(tempfile.mkdtemp(prefix="migrant-bot-tests-"))
atexit.register(shutil.rmtree, _STATE, ignore_errors=True)
os.environ["DATABASE_URL"] = f"sqlite:///{_STATE / 'migrant-bot.sqlite3'}"
os.environ["ANALYTICS_SPOOL_PATH"] = str(_STATE / "analytics-spool.jsonl")
os.environ["ANALYTICS_KEY_FILE"] = str(_STATE / "analytics.key")
os.environ["DASHBOARD_KEY_FILE"] = str(_STATE / "dashboard.key")
MODEL = MODELS_DIR / "current.tar.gz"
# The checkout's own command, run from the repository root: the tests exercise this tree's
# `bot` package, not whichever copy is installed in the virtual environment.
MIGRANT_BOT = [sys.executable, "-m", "bot.cli"]

TELEGRAM_TOKEN = "123456789:" + "AAH" * 12
WEBHOOK_SECRET = "test-webhook-secret"
TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "fedcba9876543210" * 2
SMS_FROM = "+15005550006"
WHATSAPP_FROM = "whatsapp:+14155238886"
PUBLIC_BASE_URL = "https://assistant.example.org"
PSEUDONYM_KEY = "test-pseudonym-key-" + "x" * 32
#: A Fernet key for the subscribers' addresses (tests only).
SUBSCRIBER_KEY = "bVJ0ZXN0LXN1YnNjcmliZXIta2V5LTMyLWJ5dGVzISE="


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
        self.database: Path | None = None

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

    def telegram(self, update: Any, secret: str | None = WEBHOOK_SECRET,
                 raw: bytes | None = None) -> tuple[int, Any]:
        """POST an update to the Telegram webhook; return (status, decoded JSON)."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        data = raw if raw is not None else json.dumps(update).encode()
        return self._post("/webhooks/telegram/webhook", data, headers, as_json=True)

    def twilio(self, params: dict[str, str], signature: str | None = "valid",
               path: str = "/webhooks/twilio/webhook") -> tuple[int, str]:
        """POST a form to the Twilio webhook, signed as Twilio signs it unless told otherwise."""
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature == "valid":
            signature = RequestValidator(TWILIO_TOKEN).compute_signature(
                PUBLIC_BASE_URL + path, params)
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        data = urllib.parse.urlencode(params).encode()
        return self._post(path, data, headers, as_json=False)

    def twilio_status(self, params: dict[str, str],
                      signature: str | None = "valid") -> tuple[int, str]:
        """POST a status callback, signed as Twilio signs it unless told otherwise."""
        return self.twilio(params, signature, path="/webhooks/twilio/status")

    def _post(self, path: str, data: bytes, headers: dict[str, str],
              as_json: bool) -> tuple[int, Any]:
        request = urllib.request.Request(f"{self.url}{path}", data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                body = reply.read()
                return reply.status, json.loads(body) if as_json else body.decode()
        except urllib.error.HTTPError as error:
            body = error.read()
            try:
                return error.code, json.loads(body) if as_json else body.decode()
            except ValueError:
                return error.code, body.decode(errors="replace")

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


def start_server(log: Path, env: dict[str, str] | None = None,
                 args: Sequence[str] = (), port: int | None = None,
                 own_session: bool = False) -> RunningServer:
    """Run `migrant-bot serve` on a free port (with `args`) and wait until it serves.

    `own_session`: in a process group of its own, so that `kill_server` can SIGKILL serve and
    its Rasa processes at once, as a machine or a container dying would.
    """
    port = port or free_port()
    handle = log.open("ab")
    start = log.stat().st_size
    process = subprocess.Popen(
        [*MIGRANT_BOT, "serve", "--port", str(port), *args],
        stdout=handle, stderr=subprocess.STDOUT, cwd=REPO_ROOT,
        env={**os.environ, **(env or {})}, start_new_session=own_session,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if "serving on" in log.read_text(errors="replace")[start:]:
            return RunningServer(process, f"http://127.0.0.1:{port}", log)
        if process.poll() is not None:
            break
        time.sleep(0.5)
    process.kill()
    pytest.fail(f"migrant-bot serve did not start:\n{log.read_text(errors='replace')[-3000:]}")


def kill_server(server: RunningServer) -> None:
    """SIGKILL a server started with `own_session`, and every process it started."""
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()


def stop_server(server: RunningServer) -> int:
    """SIGTERM the server; return its exit code."""
    server.process.send_signal(signal.SIGTERM)
    try:
        return server.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.process.kill()
        raise


@pytest.fixture(scope="session")
def postgres() -> Iterator[ThrowawayPostgres]:
    """A PostgreSQL server for the session, or a skip that says why there is none."""
    server = ThrowawayPostgres()
    try:
        server.start()
    except PostgresUnavailable as error:
        pytest.skip(f"no PostgreSQL server: {error}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[ThrowawayRedis]:
    """A Redis server for the session, or a skip that says why there is none."""
    server = ThrowawayRedis()
    try:
        server.start()
    except RedisUnavailable as error:
        pytest.skip(f"no Redis server: {error}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram(TELEGRAM_TOKEN) as fake:
        yield fake


@pytest.fixture(scope="session")
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio(TWILIO_SID, TWILIO_TOKEN) as fake:
        yield fake


def channel_env(telegram: FakeTelegram, twilio: FakeTwilio, database: Path) -> dict[str, str]:
    """Return the environment that turns every channel on, against the fakes."""
    return {
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "TELEGRAM_API_BASE_URL": telegram.url,
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_SMS_FROM": SMS_FROM,
        "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
        "TWILIO_API_BASE_URL": twilio.url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "PSEUDONYM_KEY": PSEUDONYM_KEY,
        "SUBSCRIBER_KEY": SUBSCRIBER_KEY,
        "DATABASE_URL": f"sqlite:///{database}",
        "ANALYTICS_SPOOL_PATH": str(database.with_name("analytics-spool.jsonl")),
        "SMS_SEGMENT_BUDGET": "3",
    }


@pytest.fixture(scope="session")
def server(
    model: Path,
    tmp_path_factory: pytest.TempPathFactory,
    fake_telegram: FakeTelegram,
    fake_twilio: FakeTwilio,
) -> Iterator[RunningServer]:
    folder = tmp_path_factory.mktemp("serve")
    database = folder / "migrant-bot.sqlite3"
    running = start_server(folder / "serve.log", channel_env(fake_telegram, fake_twilio, database))
    running.database = database
    yield running
    stop_server(running)
