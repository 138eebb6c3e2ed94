"""`serve` with two Rasa processes behind the router: conversations keep their state, retried
updates are answered once, and forged requests are still refused (by the worker)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.content import load_content
from bot.paths import CONTENT_DIR
from tests.channels.test_webhooks import TelegramUser
from tests.conftest import RunningServer, channel_env, start_server, stop_server
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio

CONTENT = load_content(CONTENT_DIR)


@pytest.fixture(scope="module")
def two_workers(model: Path, tmp_path_factory: pytest.TempPathFactory,
                fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
                ) -> Iterator[RunningServer]:
    folder = tmp_path_factory.mktemp("serve-workers")
    database = folder / "migrant-bot.sqlite3"
    env = {**channel_env(fake_telegram, fake_twilio, database), "SERVE_WORKERS": "2"}
    running = start_server(folder / "serve.log", env)
    running.database = database
    yield running
    assert stop_server(running) == 0


def test_conversations_keep_their_state_across_many_people(
        two_workers: RunningServer, fake_telegram: FakeTelegram) -> None:
    log = two_workers.log.read_text(errors="replace")
    assert "serving on" in log
    users = [TelegramUser(two_workers, fake_telegram, "fr") for _ in range(6)]
    for user in users:
        user.says("je suis au Maroc")
    for user in users:
        # The country said in the previous message is remembered: only the worker that
        # answered it holds the conversation.
        replies = user.says("ou aller pour me soigner ?")
        assert "Maroc" in replies[0] or "Rabat" in replies[0] or "Casablanca" in replies[0], \
            replies


def test_a_retried_update_is_answered_once_and_a_forged_one_refused(
        two_workers: RunningServer, fake_telegram: FakeTelegram) -> None:
    user = TelegramUser(two_workers, fake_telegram, "en")
    update = {"update_id": 987654321, "message": user._message(text="hello")}
    assert two_workers.telegram(update)[0] == 200
    user.wait(1)
    answered = len(user.settled())
    assert two_workers.telegram(update)[0] == 200  # Telegram's retry
    assert len(user.settled(quiet=1.5)) == answered
    status, _ = two_workers.telegram({"update_id": 1, "message": user._message(text="x")},
                                     secret="forged")
    assert status == 403
    chat = two_workers.chat()
    assert chat.say("hello")
