"""The migrant-bot command line: classify, content check, configuration errors, serve."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

from bot.content import load_content
from bot.paths import CONTENT_DIR, REPO_ROOT
from bot.server import free_port
from tests.conftest import (
    MIGRANT_BOT,
    PSEUDONYM_KEY,
    PUBLIC_BASE_URL,
    TELEGRAM_TOKEN,
    WEBHOOK_SECRET,
    start_server,
    stop_server,
)
from tests.fakes.telegram import FakeTelegram

ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}


def run(*args: str, stdin: str = "", env: dict[str, str] | None = None,
        timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MIGRANT_BOT, *args], input=stdin, capture_output=True,
                          text=True, cwd=REPO_ROOT, env=env or ENV, timeout=timeout)


def test_classify_writes_one_json_object_per_input_line(model: Path) -> None:
    lines = ["hello, I need a doctor", "je suis enceinte", "عندي حمل وما عنديش الوراق",
             "necesito condones", "/greet", "", "2"]
    result = run("classify", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr[-2000:]
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in records] == lines
    for record in records:
        assert {"text", "intent", "confidence", "language", "language_confidence"} <= set(record)
        assert 0.0 <= record["confidence"] <= 1.0
    assert [r["language"] for r in records[:4]] == ["en", "fr", "ar", "es"]
    assert records[3]["intent"] == "contraception"
    assert records[4]["intent"] != "greet" or records[4]["confidence"] < 1.0  # never forced
    assert records[6]["intent"] == "nlu_fallback"
    assert {"entity": "choice", "value": "2"} in records[6]["entities"]
    # nothing Rasa logs (with message text at DEBUG) ends up on stdout or stderr
    assert "processor.message.parse" not in result.stdout + result.stderr


def test_content_check_passes_on_shipped_content_and_fails_on_broken(tmp_path: Path) -> None:
    result = run("content", "check")
    assert result.returncode == 0, result.stdout
    assert "0 error(s)" in result.stdout
    broken = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, broken)
    (broken / "topics" / "hiv_sti.yml").unlink()
    result = run("content", "check", "--content-dir", str(broken))
    assert result.returncode == 1
    assert "hiv_sti" in result.stdout
    assert run("content", "check", "--strict").returncode == 1  # unverified facts


def test_a_malformed_setting_names_the_variable_never_its_value() -> None:
    result = run("content", "check", env={**ENV, "DEFAULT_LANGUAGE": "secret-value-42"})
    assert result.returncode == 2
    assert "DEFAULT_LANGUAGE" in result.stderr
    assert "secret-value-42" not in result.stderr + result.stdout


def _port_open(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as sock:
        return sock.connect_ex((host, int(port))) == 0


def _children(pid: int) -> list[str]:
    """Return the command lines of the processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1]
                                            .split()[1]) == pid:
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, IndexError, ValueError):  # the process ended meanwhile
            continue
    return found


def test_serve_with_a_separate_action_server_answers_and_stops_cleanly_on_sigterm(
        model: Path, tmp_path: Path) -> None:
    """`--action-port` runs the actions in rasa-sdk's own server, as before they ran in
    process; the session's `server` fixture covers the default."""
    server = start_server(tmp_path / "serve.log", args=["--action-port", str(free_port())])
    children = _children(server.process.pid)
    assert any("-m rasa_sdk" in line for line in children), children
    greeting = load_content(CONTENT_DIR).message("greeting", "fr")
    assert greeting in server.chat().say("bonjour")[0]
    assert stop_server(server) == 0
    assert not _port_open(server.url)
    assert "Traceback" not in server.log.read_text(errors="replace")


def test_chat_answers_lines_from_standard_input(model: Path) -> None:
    result = run("chat", stdin="salam\n2\n", timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    replies = [line for line in result.stdout.splitlines() if line.startswith("bot> ")]
    assert any("مرحبا" in line for line in replies)
    assert len(replies) >= 3


def test_telegram_set_webhook_registers_the_url_with_its_secret(
    fake_telegram: FakeTelegram,
) -> None:
    fake_telegram.reset()
    env = {**ENV, "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
           "TELEGRAM_API_BASE_URL": fake_telegram.url, "PSEUDONYM_KEY": PSEUDONYM_KEY,
           "PUBLIC_BASE_URL": PUBLIC_BASE_URL}
    result = run("telegram", "set-webhook", env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    registered = fake_telegram.calls_to("setWebhook")[-1].params
    assert registered["url"] == f"{PUBLIC_BASE_URL}/webhooks/telegram/webhook"
    assert registered["secret_token"] == WEBHOOK_SECRET
    assert "my_chat_member" in registered["allowed_updates"]
    commands = {c["command"] for c in fake_telegram.calls_to("setMyCommands")[-1].params[
        "commands"]}
    assert {"start", "help", "language", "subscribe", "stop", "delete", "clear"} <= commands
    assert TELEGRAM_TOKEN not in result.stdout + result.stderr
    missing = run("telegram", "set-webhook", env={**env, "PUBLIC_BASE_URL": ""}, timeout=120)
    assert missing.returncode == 2 and "PUBLIC_BASE_URL" in missing.stderr


def test_several_workers_without_redis_are_refused_with_the_reason(model: Path) -> None:
    """Without Redis each process would keep its own conversations: refused, not half-working."""
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    result = run("serve", "--port", str(free_port()), "--workers", "2", env=env)
    assert result.returncode == 2
    assert "REDIS_URL" in result.stderr
