"""Broadcast fixtures: a fresh SQLite database, settings pointing at the fake vendors, and
subscribers created the way the channels create them (pseudonym plus encrypted address)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.db import create_engine_for
from bot.migrations import upgrade
from bot.pseudonym import pseudonym
from bot.settings import Settings
from bot.subscriptions import SubscriptionStore
from tests.conftest import PSEUDONYM_KEY, channel_env
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio

_chat_ids = itertools.count(random.randrange(10**8, 10**9))
_numbers = itertools.count(random.randrange(10**7, 10**8))


def broadcast_env(database_url: str, telegram: FakeTelegram, twilio: FakeTwilio,
                  tmp_path: Path, **extra: str) -> dict[str, str]:
    """Return the environment of a broadcast sender against the fakes, limits off."""
    database = Path(database_url.removeprefix("sqlite:///"))
    return {
        **channel_env(telegram, twilio, database),
        "DATABASE_URL": database_url,
        "ANALYTICS_SPOOL_PATH": str(tmp_path / "spool.jsonl"),
        "ANALYTICS_KEY_FILE": str(tmp_path / "analytics.key"),
        "BROADCAST_TELEGRAM_RATE": "0",
        "BROADCAST_SMS_MPS": "0",
        "BROADCAST_WHATSAPP_MPS": "0",
        **extra,
    }


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'broadcasts.sqlite3'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine_for(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(database_url: str, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio,
             tmp_path: Path) -> Settings:
    fake_telegram.reset()
    fake_twilio.reset()
    return Settings.from_env(broadcast_env(database_url, fake_telegram, fake_twilio, tmp_path))


@pytest.fixture
def subscribers(engine: Engine, settings: Settings) -> SubscriptionStore:
    assert settings.subscriber_key is not None
    return SubscriptionStore(engine, settings.subscriber_key)


def add_subscriber(store: SubscriptionStore, channel: str, language: str,
                   country: str | None = "Morocco",
                   topics: tuple[str, ...] = ("general",)) -> tuple[str, str]:
    """Subscribe a new person; return (pseudonym, address) as the channel would."""
    if channel == "telegram":
        address = str(next(_chat_ids))
        person = pseudonym(PSEUDONYM_KEY.encode(), "telegram", address)
    else:
        number = f"+2126{next(_numbers)}"
        address = f"whatsapp:{number}" if channel == "whatsapp" else number
        person = pseudonym(PSEUDONYM_KEY.encode(), channel, number)
    store.subscribe(person, channel, address, language, country, list(topics))
    return person, address
