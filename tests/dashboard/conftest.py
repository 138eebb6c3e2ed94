"""A dashboard on a fresh SQLite database with seeded analytics, subscribers and one account
per role, with the real broadcast service.

The clock is fixed at 2024-03-31 12:00 UTC, so the default period (the last 30 days) ends on
the last day of March 2024, where `seeded_events` puts its events. `login` signs in as the form
does: it reads the login page's CSRF token and posts it with the name and password.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.analytics.spool import Event
from bot.broadcasts.service import BroadcastService
from bot.dashboard import create_app, passwords
from bot.dashboard.accounts import Accounts
from bot.db import create_engine_for
from bot.migrations import upgrade
from bot.settings import Settings
from bot.subscriptions import SubscriptionStore
from tests.analytics.conftest import event, store
from tests.broadcasts.conftest import add_subscriber
from tests.conftest import SUBSCRIBER_KEY

PASSWORD = "correct horse battery staple"
SECRET = b"dashboard-test-secret-" + b"s" * 32
NOW = datetime(2024, 3, 31, 12, 0)
MARCH = (date(2024, 3, 1), date(2024, 3, 31))
ROLES = {"viewer": "vera", "broadcaster": "bruno", "admin": "ada"}
REAL_SCRYPT_N = passwords.N


class Clock:
    """A clock the tests move."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash with scrypt at N=2^10 instead of 2^15: the same code, a hundred logins a second
    (test_passwords checks the real cost)."""
    monkeypatch.setattr(passwords, "N", 2**10)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'dashboard.sqlite3'}",
                    dashboard_secret=SECRET, analytics_suppression_threshold=5,
                    dashboard_key_file=tmp_path / "dashboard.key",
                    subscriber_key=SUBSCRIBER_KEY.encode())


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = create_engine_for(settings.database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(engine: Engine, clock: Clock) -> Accounts:
    accounts = Accounts(engine, SECRET, clock)
    for role, name in ROLES.items():
        accounts.add(name, role, PASSWORD, by="test")
    return accounts


def seeded_events() -> list[Event]:
    """Return March 2024's events (1-28): every cell of each breakdown, and each language's
    daily cell, at or above the threshold of 5, and one small cell (Yemen: 2 people) that must
    be suppressed.

    Each day: 6 rights answers in English (Telegram, Morocco), French (WhatsApp, Tunisia) and
    Arabic (GBV referrals by SMS, Egypt); 5 Arabic messages not understood; on even days 5
    English questions out of scope.
    """
    events = []
    for day in range(1, 29):
        hour = datetime(2024, 3, day, 10)
        for number in range(6):
            person = f"p{day}-{number}"
            events.append(event(person, "health_rights", hour=hour, language="en",
                                channel="telegram", country="Morocco"))
            events.append(event(person + "f", "contraception", hour=hour, language="fr",
                                channel="whatsapp", country="Tunisia"))
            events.append(event(person + "a", "gbv", "referral", hour=hour, language="ar",
                                channel="sms", country="Egypt"))
        for number in range(5):
            events.append(event(f"q{day}-{number}", "nlu_fallback", "fallback", hour=hour,
                                language="ar", channel="sms", country="Egypt"))
            if day % 2 == 0:
                events.append(event(f"o{day}-{number}", "out_of_scope", "fallback", hour=hour,
                                    language="en", channel="telegram", country="Morocco"))
    events.append(event("yemen-1", "health_cost", hour=datetime(2024, 3, 5, 9),
                        country="Yemen"))
    events.append(event("yemen-2", "health_cost", hour=datetime(2024, 3, 6, 9),
                        country="Yemen"))
    return events


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    store(engine, seeded_events())
    return engine


#: Subscribers of the "general" topic: (channel, language) -> how many.
SUBSCRIBERS = {("telegram", "en"): 3, ("telegram", "ar"): 2, ("sms", "fr"): 2,
               ("whatsapp", "ar"): 1, ("sms", "es"): 1}


@pytest.fixture
def broadcasts(engine: Engine, settings: Settings) -> BroadcastService:
    """The real broadcast service, with `SUBSCRIBERS` subscribed."""
    assert settings.subscriber_key is not None
    subscriptions = SubscriptionStore(engine, settings.subscriber_key)
    for (channel, language), count in SUBSCRIBERS.items():
        for _ in range(count):
            add_subscriber(subscriptions, channel, language)
    return BroadcastService(engine, settings)


@pytest.fixture
def app(settings: Settings, seeded: Engine, accounts: Accounts, clock: Clock,
        broadcasts: BroadcastService):  # type: ignore[no-untyped-def]
    return create_app(settings, seeded, broadcasts=broadcasts, clock=clock)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, follow_redirects=False) as client:
        yield client


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """Return the CSRF token of the first form in a page."""
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD, **headers: str):  # type: ignore[no-untyped-def]
    """Sign in through the form; return the POST's response."""
    page = client.get("/login")
    return client.post("/login", data={"csrf_token": csrf_of(page.text), "name": name,
                                       "password": password, "next": "/overview"},
                       headers=headers)


def signed_in(client: TestClient, role: str) -> str:
    """Sign in as the account of `role`; return the session's CSRF token."""
    reply = login(client, ROLES[role])
    assert reply.status_code == 303, reply.text
    return csrf_of(client.get("/overview").text)
