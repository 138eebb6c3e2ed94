"""Run the Rasa server (and its helpers) together, and stop them together.

`Server` starts Rasa as a child process on loopback (or the given host), writes the endpoints
file it needs from the settings, waits until Rasa answers, and on SIGTERM or SIGINT stops every
child (SIGTERM, then SIGKILL after a grace period). If one dies, the others are stopped too and
the exit code says so.

The custom actions run inside each Rasa process (`bot.inprocess_actions`); with an
`action_port` they run in a separate rasa-sdk action server on that port instead, one more
child process.

With `DASHBOARD_PORT` set, the staff dashboard (`migrant-bot dashboard`) is one more child
process on the same interface, started, watched and stopped with the others: a process of
its own keeps a slow report page from ever delaying a reply to a migrant.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from bot import inprocess_actions
from bot.paths import REPO_ROOT
from bot.settings import Settings

STOP_GRACE_SECONDS = 15


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Return the environment of child processes: telemetry off, nothing downloaded."""
    env = dict(os.environ)
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


def free_port() -> int:
    """Return a TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def endpoints_config(settings: Settings, action_port: int | None) -> dict[str, object]:
    """Return Rasa's endpoints: the actions (in process, or the action server on
    `action_port`), a tracker store that forgets and, with Redis, Rasa's Redis lock store."""
    url = (f"http://127.0.0.1:{action_port}/webhook" if action_port
           else inprocess_actions.URL)
    config: dict[str, object] = {"action_endpoint": {"url": url}}
    if settings.redis_url:
        from urllib.parse import urlparse

        url = urlparse(settings.redis_url)
        # Rasa ignores a key prefix that is not alphanumeric.
        connection = {
            "url": url.hostname,
            "port": url.port or 6379,
            "db": int((url.path or "/0").lstrip("/") or 0),
            "password": url.password,
            "use_ssl": url.scheme == "rediss",
            "key_prefix": "migrantbot",
        }
        config["tracker_store"] = {
            "type": "bot.tracker_store.ForgetfulRedisTrackerStore", **connection,
            "record_exp": settings.tracker_record_exp,
        }
        # One turn at a time per conversation across every process and machine (Rasa's own
        # lock store; it also lets Rasa run several Sanic workers, see `Server`).
        config["lock_store"] = {"type": "redis", **connection}
    else:
        config["tracker_store"] = {"type": "bot.tracker_store.ForgetfulInMemoryTrackerStore"}
    if not action_port:
        config["tracker_store"]["inprocess_actions"] = True  # type: ignore[index]
    return config


def credentials_config(settings: Settings) -> dict[str, object]:
    """Return Rasa's input channels: REST always, Telegram and Twilio when configured.

    Channels read their secrets from the environment themselves, so this file holds none.
    """
    config: dict[str, object] = {"bot.channels.rest.SafeRestInput": {}}
    if settings.telegram:
        config["bot.channels.telegram.TelegramInput"] = {}
    if settings.twilio:
        config["bot.channels.twilio.TwilioInput"] = {}
    return config


def describe_channels(settings: Settings) -> str:
    """Return the enabled channels and their webhook paths, for `serve` to print."""
    parts = ["rest at /webhooks/rest/webhook"]
    if settings.telegram:
        parts.append("telegram at /webhooks/telegram/webhook")
    if settings.twilio:
        kinds = " and ".join(settings.twilio.kinds)
        parts.append(f"twilio ({kinds}) at /webhooks/twilio/webhook")
    return "; ".join(parts)


class Server:
    """The Rasa processes and their helpers as one unit."""

    def __init__(
        self,
        settings: Settings,
        model: Path,
        port: int = 5005,
        action_port: int | None = None,
        host: str = "127.0.0.1",
        workers: int | None = None,
    ) -> None:
        self.settings = settings
        self.model = model
        self.port = port
        self.action_port = action_port
        self.host = host
        self.workers = workers or settings.serve_workers
        self._processes: list[subprocess.Popen[bytes]] = []
        self._workdir = tempfile.TemporaryDirectory(prefix="migrant-bot-")

    @property
    def url(self) -> str:
        """Return the base URL of the Rasa server."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

    @property
    def dashboard_url(self) -> str | None:
        """Return the base URL of the staff dashboard, None when it is off."""
        if not self.settings.dashboard_port:
            return None
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.settings.dashboard_port}"

    def start(self) -> None:
        """Start the helpers (action server, dashboard, broadcast worker when on), then Rasa."""
        endpoints = Path(self._workdir.name) / "endpoints.yml"
        endpoints.write_text(yaml.safe_dump(endpoints_config(self.settings, self.action_port)))
        credentials = Path(self._workdir.name) / "credentials.yml"
        credentials.write_text(yaml.safe_dump(credentials_config(self.settings)))
        log_level = self.settings.log_level
        if self.action_port:
            self._processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "rasa_sdk", "--actions", inprocess_actions.PACKAGE,
                     "--port", str(self.action_port)],
                    cwd=REPO_ROOT,
                    env=child_env({"SANIC_HOST": "127.0.0.1", "LOG_LEVEL_LIBRARIES": log_level}),
                )
            )
        if self.settings.dashboard_port:
            self._processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "bot.cli", "dashboard",
                     "--port", str(self.settings.dashboard_port), "--host", self.host],
                    cwd=REPO_ROOT,
                    env=child_env(),
                )
            )
        if self.settings.subscriber_key and (self.settings.telegram or self.settings.twilio):
            # Sends the broadcasts queued from the dashboard and the scheduled ones.
            self._processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "bot.cli", "broadcast", "worker"],
                    cwd=REPO_ROOT, env=child_env(),
                )
            )
        rasa_log = {"DEBUG": ["--debug"], "INFO": []}.get(log_level, ["--quiet"])
        # Several Rasa processes are Sanic's own workers on one socket (Rasa allows them with
        # its Redis lock store): any of them may take any webhook, since the inbox orders each
        # person's messages and Redis holds the conversations, locks and channel state.
        self._processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "rasa", "run", "--model", str(self.model),
                 "--port", str(self.port), "--interface", self.host,
                 "--credentials", str(credentials),
                 "--endpoints", str(endpoints), *rasa_log],
                cwd=REPO_ROOT,
                env=child_env({"SERVE_WORKERS": str(self.workers),
                               "SANIC_WORKERS": str(self.workers)}),
            )
        )

    def wait_ready(self, timeout: float = 180.0) -> bool:
        """Wait until Rasa has loaded the model and the helpers answer."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                return False
            if _answers(f"{self.url}/"):
                if (not self.action_port
                        or _answers(f"http://127.0.0.1:{self.action_port}/health")) and (
                        self.dashboard_url is None or _answers(f"{self.dashboard_url}/healthz")):
                    return _answers(f"{self.url}/webhooks/rest/")
            time.sleep(0.5)
        return False

    def running(self) -> bool:
        """Return True while both processes are alive."""
        return bool(self._processes) and all(p.poll() is None for p in self._processes)

    def wait(self) -> int:
        """Block until a process exits or a signal arrives; stop both; return an exit code."""
        stop = {"signal": 0}

        def handle(signum: int, _frame: object) -> None:
            stop["signal"] = signum

        previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            while not stop["signal"] and self.running():
                time.sleep(0.2)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        failed = [p.returncode for p in self._processes if p.poll() is not None]
        self.stop()
        if stop["signal"]:
            return 0
        return failed[0] or 1 if failed else 0

    def stop(self) -> None:
        """Stop both processes: SIGTERM, then SIGKILL after a grace period."""
        for process in self._processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in self._processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._workdir.cleanup()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return 200 <= reply.status < 300
    except (urllib.error.URLError, OSError):
        return False
