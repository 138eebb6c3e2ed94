"""Conversations over the real channels' webhooks leave counts, and nothing that identifies.

Uses the session server (`migrant-bot serve` with every channel on, against the fake Telegram
and Twilio APIs): a batch of conversations goes in through the webhooks as the vendors send
them, the test waits until the analytics writer has stored one event per turn, then reads
every byte of the database file (and its WAL, and the spool) and every row of every table.
"""

from __future__ import annotations

import random
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from bot.analytics.definitions import DIMENSIONS, OUTCOMES
from bot.analytics.person import person_key
from bot.pseudonym import pseudonym
from tests.conftest import PSEUDONYM_KEY, SMS_FROM, TWILIO_SID, WHATSAPP_FROM, RunningServer
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio

KEY = PSEUDONYM_KEY.encode()


def analytics_person(conversation_id: str) -> int:
    return person_key(KEY, conversation_id)


def wait(check: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def events_of(database: Path, people: list[str]) -> int:
    with sqlite3.connect(database, timeout=10) as db:
        marks = ",".join("?" * len(people))
        return int(db.execute(f"SELECT COUNT(*) FROM analytics_events WHERE person IN ({marks})",
                              people).fetchone()[0])


class Telegram:
    """A Telegram user posting updates to the webhook."""

    def __init__(self, server: RunningServer, fake: FakeTelegram, language: str) -> None:
        self.server, self.fake, self.language = server, fake, language
        self.chat_id = random.randrange(7 * 10**9, 8 * 10**9)
        self.conversation = pseudonym(KEY, "telegram", str(self.chat_id))

    def says(self, text: str) -> None:
        before = len(self.fake.sent_messages(self.chat_id))
        update = {"update_id": random.randrange(10**8), "message": {
            "message_id": random.randrange(10**6), "date": 1700000000, "text": text,
            "chat": {"id": self.chat_id, "type": "private", "first_name": "A"},
            "from": {"id": self.chat_id, "is_bot": False, "first_name": "A",
                     "language_code": self.language}}}
        assert self.server.telegram(update)[0] == 200
        assert self.fake.wait_for(
            lambda fake: len(fake.sent_messages(self.chat_id)) > before, 30), "no answer"


class Twilio:
    """An SMS or WhatsApp user posting signed forms to the webhook."""

    def __init__(self, server: RunningServer, fake: FakeTwilio, whatsapp: bool) -> None:
        self.server, self.fake = server, fake
        self.number = f"+2126{random.randrange(10**7, 10**8)}"
        self.address = f"whatsapp:{self.number}" if whatsapp else self.number
        channel = "whatsapp" if whatsapp else "sms"
        self.conversation = pseudonym(KEY, channel, self.number)

    def says(self, body: str) -> None:
        before = len(self.fake.sent_messages(self.address))
        params = {"AccountSid": TWILIO_SID, "From": self.address,
                  "To": WHATSAPP_FROM if self.address.startswith("whatsapp:") else SMS_FROM,
                  "MessageSid": f"SM{uuid.uuid4().hex}", "Body": body, "NumMedia": "0"}
        assert self.server.twilio(params)[0] == 200
        assert self.fake.wait_for(
            lambda fake: len(fake.sent_messages(self.address)) > before, 30), "no answer"


def stored_bytes(database: Path) -> bytes:
    data = b""
    for path in sorted(database.parent.iterdir()):
        if path.name.startswith(database.name) or path.name.startswith("analytics-spool"):
            data += path.read_bytes()
    return data


def test_a_batch_of_conversations_stores_no_number_chat_id_or_text(
    server: RunningServer, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> None:
    assert server.database is not None
    marker = f"okapi{uuid.uuid4().hex[:8]}"
    telegram = [Telegram(server, fake_telegram, language) for language in ("fr", "ar", "en")]
    twilio = [Twilio(server, fake_twilio, whatsapp) for whatsapp in (False, False, True)]
    rest_sender = f"+2125{random.randrange(10**7, 10**8)}"  # a REST client sending a number
    texts = {"fr": f"je peux aller a l'hopital sans papiers {marker}",
             "ar": f"هل العلاج مجاني {marker}", "en": f"where is a clinic {marker}"}
    for user in telegram:
        user.says(texts[user.language])
        user.says(f"j'ai ete violee {marker}" if user.language == "fr" else "2")
    for user in twilio:
        user.says(f"Bonjour {marker}")
        user.says(f"is the hospital free for migrants {marker}")
    for text in (f"hello {marker}", f"I need condoms {marker}"):
        status, _ = server.post({"sender": rest_sender, "message": text})
        assert status == 200

    people = [analytics_person(user.conversation) for user in [*telegram, *twilio]]
    people.append(analytics_person(rest_sender))
    assert wait(lambda: events_of(server.database, people) >= 14), (
        f"expected 14 events, found {events_of(server.database, people)}")
    time.sleep(0.5)
    assert events_of(server.database, people) == 14, "one event per turn, none twice"

    raw = [str(user.chat_id) for user in telegram]
    raw += [user.number for user in twilio] + [user.number.lstrip("+") for user in twilio]
    raw += [rest_sender, rest_sender.lstrip("+"), marker, "hopital sans papiers", "condoms"]
    raw += [user.conversation for user in [*telegram, *twilio]]  # not even the pseudonyms
    data = stored_bytes(server.database)
    for value in raw:
        assert value.encode() not in data, "found in the database file"

    with sqlite3.connect(server.database, timeout=10) as db:
        tables = [name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):  # names from sqlite_master
                cells = " ".join(str(cell) for cell in row)
                assert not any(value in cells for value in raw), f"found in table {table}"
        columns = [name for (_, name, *_) in db.execute("PRAGMA table_info(analytics_events)")]
        assert set(columns) == {"event_id", "hour", *DIMENSIONS, "outcome", "person", "key_id"}
        marks = ",".join("?" * len(people))
        for outcome, in db.execute(
                f"SELECT outcome FROM analytics_events WHERE person IN ({marks})", people):
            assert outcome in OUTCOMES
        channels = {channel for (channel,) in db.execute(
            f"SELECT channel FROM analytics_events WHERE person IN ({marks})", people)}
        assert channels == {"telegram", "sms", "whatsapp", "rest"}


def test_delete_over_telegram_removes_the_persons_analytics_rows(
    server: RunningServer, fake_telegram: FakeTelegram
) -> None:
    assert server.database is not None
    user = Telegram(server, fake_telegram, "en")
    person = [analytics_person(user.conversation)]
    user.says("can I see a doctor without papers?")
    user.says("is it free?")
    assert wait(lambda: events_of(server.database, person) == 2)
    user.says("/delete")
    assert wait(lambda: events_of(server.database, person) == 0), "rows left after /delete"
    time.sleep(0.5)
    assert events_of(server.database, person) == 0, "the deletion turn itself records nothing"
