"""`migrant-bot staff ...`: accounts made and changed from the command line, audited."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.dashboard.accounts import Accounts
from bot.db import create_engine_for
from tests.dashboard.conftest import SECRET


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'staff.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_SECRET", SECRET.decode())
    return url


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str,
        stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_staff_accounts_from_the_command_line(database: str, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    password = "a long enough password\n"
    assert run(monkeypatch, capsys, "staff", "add", "Amina", "--role", "admin",
               "--password-stdin", stdin=password)[0] == 0
    assert run(monkeypatch, capsys, "staff", "add", "omar", "--role", "viewer",
               "--password-stdin", stdin=password)[0] == 0
    code, out, _ = run(monkeypatch, capsys, "staff", "list")
    assert code == 0 and [line.split("\t")[:2] for line in out.splitlines()] == \
        [["amina", "admin"], ["omar", "viewer"]]
    assert run(monkeypatch, capsys, "staff", "set-role", "omar", "broadcaster")[0] == 0
    assert run(monkeypatch, capsys, "staff", "reset-password", "omar", "--password-stdin",
               stdin="another long password\n")[0] == 0
    accounts = Accounts(create_engine_for(database), SECRET)
    assert accounts.login("omar", "another long password", "127.0.0.1") is not None
    assert run(monkeypatch, capsys, "staff", "remove", "omar")[0] == 0
    assert accounts.get("omar") is None
    actions = [(entry.action, entry.subject) for entry in reversed(accounts.audit_log())]
    assert [a for a in actions if a[0] != "login"] == [
        ("account added", "amina"), ("account added", "omar"), ("role changed", "omar"),
        ("password reset", "omar"), ("account removed", "omar")]
    assert all(entry.actor.startswith("cli") for entry in accounts.audit_log()
               if entry.action != "login")


def test_there_is_no_default_password(database: str, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(monkeypatch, capsys, "staff", "add", "amina", "--role", "admin",
                       "--password-stdin", stdin="")
    assert code == 2 and "at least 10 characters" in err
    code, _, err = run(monkeypatch, capsys, "staff", "add", "amina", "--role", "admin",
                       "--password-stdin", stdin="short\n")
    assert code == 2 and "short" not in err  # the message never repeats the password
    assert run(monkeypatch, capsys, "staff", "list")[1] == ""


def test_typed_passwords_must_match(database: str, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    typed = iter(["a long enough password", "a different password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    code, _, err = run(monkeypatch, capsys, "staff", "add", "amina", "--role", "admin")
    assert code == 2 and "differ" in err


def test_mistakes_are_explained(database: str, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(monkeypatch, capsys, "staff", "remove", "nobody")
    assert code == 2 and "no staff account named nobody" in err
    code, _, err = run(monkeypatch, capsys, "staff", "add", "bad name!", "--role", "viewer",
                       "--password-stdin", stdin="a long enough password\n")
    assert code == 2 and "a staff name is" in err
    run(monkeypatch, capsys, "staff", "add", "amina", "--role", "viewer", "--password-stdin",
        stdin="a long enough password\n")
    code, _, err = run(monkeypatch, capsys, "staff", "add", "AMINA", "--role", "viewer",
                       "--password-stdin", stdin="a long enough password\n")
    assert code == 2 and "already" in err


def test_a_short_dashboard_secret_is_a_configuration_error(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DASHBOARD_SECRET", "short-secret-value")
    code, _, err = run(monkeypatch, capsys, "staff", "list")
    assert code == 2 and "DASHBOARD_SECRET must be at least 32" in err
    assert "short-secret-value" not in err
