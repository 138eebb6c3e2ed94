"""`serve` starts the dashboard as a third child process when DASHBOARD_PORT is set."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from bot import server as server_module
from bot.server import Server
from bot.settings import Settings


class RecordedProcess:
    """Stands in for a child process: records its command, never runs it."""

    started: list[list[str]] = []

    def __init__(self, command: list[str], **_: Any) -> None:
        RecordedProcess.started.append(command)
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode

    def send_signal(self, _signal: int) -> None:
        self.returncode = 0

    def wait(self, timeout: float | None = None) -> int:
        return 0


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    RecordedProcess.started = []
    monkeypatch.setattr(server_module.subprocess, "Popen", RecordedProcess)
    return RecordedProcess.started


def test_serve_starts_the_dashboard_on_its_port_and_interface(recorded: list[list[str]],
                                                              tmp_path: Path) -> None:
    settings = Settings(dashboard_port=8089)
    server = Server(settings, tmp_path / "model.tar.gz", port=5005, host="0.0.0.0")
    server.start()
    server.stop()
    dashboards = [c for c in recorded if c[1:4] == ["-m", "bot.cli", "dashboard"]]
    assert dashboards == [[sys.executable, "-m", "bot.cli", "dashboard", "--port", "8089",
                           "--host", "0.0.0.0"]]
    assert server.dashboard_url == "http://127.0.0.1:8089"


def test_without_dashboard_port_serve_starts_rasa_alone(recorded: list[list[str]],
                                                        tmp_path: Path) -> None:
    server = Server(Settings(), tmp_path / "model.tar.gz")
    server.start()
    server.stop()
    # The actions run inside the Rasa process: no action server, no dashboard.
    assert [command[1:3] for command in recorded] == [["-m", "rasa"]]
    assert server.dashboard_url is None


def test_dashboard_port_is_read_and_checked() -> None:
    assert Settings.from_env({"DASHBOARD_PORT": "8089"}).dashboard_port == 8089
    assert Settings.from_env({}).dashboard_port is None
    with pytest.raises(ValueError, match="DASHBOARD_PORT must be at most 65535"):
        Settings.from_env({"DASHBOARD_PORT": "70000"})
