"""Subscribing, stopping and deleting from the chat, and Twilio's status callbacks, through a
real `migrant-bot serve` with the fake vendors (the session server of tests/conftest.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.broadcasts.service import BroadcastService, Draft
from bot.broadcasts.store import outbox
from bot.content import load_content
from bot.db import create_engine_for
from bot.optouts import OptOutStore
from bot.paths import CONTENT_DIR
from bot.pseudonym import pseudonym
from bot.settings import Settings
from bot.subscriptions import SubscriptionStore
from tests.broadcasts.conftest import add_subscriber
from tests.channels.test_webhooks import SmsUser, TelegramUser
from tests.conftest import PSEUDONYM_KEY, SUBSCRIBER_KEY, TWILIO_SID, RunningServer
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio

CONTENT = load_content(CONTENT_DIR)


def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Return True once `condition()` holds (the channel acts after it sends the replies)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def served(server: RunningServer) -> Iterator[Engine]:
    assert server.database is not None
    engine = create_engine_for(f"sqlite:///{server.database}")
    yield engine
    engine.dispose()


@pytest.fixture
def store(served: Engine) -> SubscriptionStore:
    return SubscriptionStore(served, SUBSCRIBER_KEY.encode())


def test_subscribing_on_telegram_asks_consent_then_keeps_the_chat_encrypted(
        server: RunningServer, fake_telegram: FakeTelegram, store: SubscriptionStore) -> None:
    user = TelegramUser(server, fake_telegram, "fr")
    person = pseudonym(PSEUDONYM_KEY.encode(), "telegram", str(user.chat_id))
    [offer] = user.says("je veux recevoir les alertes santé")
    consent = CONTENT.message("subscribe_consent", "fr", stop="/stop")
    assert consent in offer and "/stop" in offer
    assert CONTENT.message("subscribe_topic_vaccination", "fr") in offer
    assert store.get(person) is None  # nothing kept before the choice
    buttons = user.received()[-1]["reply_markup"]["inline_keyboard"]
    assert len(buttons) == 5

    user.press("4")  # vaccination
    confirmation = user.settled()[-1]["text"]
    assert CONTENT.message("subscribe_topic_vaccination", "fr") in confirmation
    found = store.get(person)
    assert found is not None
    assert (found.channel, found.language, found.topics) == ("telegram", "fr", ("vaccination",))
    assert found.address == str(user.chat_id)

    user.says("/stop")
    assert eventually(lambda: store.get(person) is None)
    assert OptOutStore(store.engine).is_opted_out(person)


def test_subscribing_on_sms_by_number_and_stopping_with_the_carrier_keyword(
        server: RunningServer, fake_twilio: FakeTwilio, store: SubscriptionStore) -> None:
    user = SmsUser(server, fake_twilio)
    person = pseudonym(PSEUDONYM_KEY.encode(), "sms", user.number)
    [offer] = user.says("subscribe")
    assert "STOP" in offer and "5" in offer
    user.says("5")  # all of these
    found = store.get(person)
    assert found is not None and found.address == user.number
    assert found.topics == ("general", "srhr", "protection", "vaccination")
    user.says("STOP")
    assert eventually(lambda: store.get(person) is None)


def test_stopping_alerts_in_words_and_deleting_data_remove_the_subscription(
        server: RunningServer, fake_twilio: FakeTwilio, store: SubscriptionStore) -> None:
    user = SmsUser(server, fake_twilio, whatsapp=True)
    person = pseudonym(PSEUDONYM_KEY.encode(), "whatsapp", user.number)
    user.says("subscribe", count=2)  # WhatsApp: the consent, then the question
    user.says("1")
    found = store.get(person)
    assert found is not None and found.address == f"whatsapp:{user.number}"
    replies = user.says("stop the alerts", count=2)
    assert CONTENT.topics["unsubscribe"].text["en"][:30] in replies[0]
    assert store.get(person) is None

    user.says("subscribe", count=2)
    user.says("1")
    assert store.get(person) is not None
    assert not OptOutStore(store.engine).is_opted_out(person)  # a new consent
    user.says("delete my data")
    assert eventually(lambda: store.get(person) is None)
    assert not OptOutStore(store.engine).is_opted_out(person)


def test_the_rest_channel_cannot_subscribe(server: RunningServer) -> None:
    replies = server.chat().say("I want health alerts")
    assert replies[0] == CONTENT.topics["subscribe"].text["en"]


def _sent_sms(served: Engine, store: SubscriptionStore, fake_twilio: FakeTwilio,
              count: int) -> tuple[int, list[tuple[str, str]]]:
    """Record an SMS broadcast to `count` new subscribers as sent, as the worker would.

    The broadcast stays a draft, so the server's own broadcast worker leaves it alone.
    """
    people = [add_subscriber(store, "sms", "en", topics=("srhr",)) for _ in range(count)]
    settings = Settings.from_env({"SUBSCRIBER_KEY": SUBSCRIBER_KEY})
    service = BroadcastService(served, settings)
    broadcast = service.create(Draft("Clinic", "srhr", {"en": "The clinic opens at 8."},))
    service.outbox.fill(broadcast, [
        {"person": person, "channel": "sms", "language": "en", "country": "Morocco",
         "state": "sent", "vendor_id": f"SM{broadcast:08d}{index:024x}"}
        for index, (person, _) in enumerate(people)])
    return broadcast, people


def _state(served: Engine, broadcast: int, person: str) -> tuple[str, str | None]:
    with served.connect() as connection:
        row = connection.execute(select(outbox.c.state, outbox.c.reason)
                                 .where(outbox.c.broadcast_id == broadcast,
                                        outbox.c.person == person)).one()
    return row.state, row.reason


def test_status_callbacks_are_authenticated_and_update_delivery(
        server: RunningServer, served: Engine, store: SubscriptionStore,
        fake_twilio: FakeTwilio) -> None:
    broadcast, people = _sent_sms(served, store, fake_twilio, 3)
    sid = [f"SM{broadcast:08d}{index:024x}" for index in range(3)]
    base = {"AccountSid": TWILIO_SID, "To": people[0][1]}
    assert server.twilio_status({**base, "MessageSid": sid[0], "MessageStatus": "delivered"},
                                signature="forged")[0] == 403
    assert server.twilio_status({**base, "MessageSid": sid[0], "MessageStatus": "delivered"},
                                signature=None)[0] == 403
    assert server.twilio_status({**base, "MessageSid": sid[0]})[0] == 400
    assert _state(served, broadcast, people[0][0]) == ("sent", None)

    assert server.twilio_status({**base, "MessageSid": sid[0], "MessageStatus": "sent"})[0] == 204
    assert server.twilio_status({**base, "MessageSid": sid[0],
                                 "MessageStatus": "delivered"})[0] == 204
    assert server.twilio_status({**base, "MessageSid": sid[1], "MessageStatus": "undelivered",
                                 "ErrorCode": "30003"})[0] == 204
    assert server.twilio_status({**base, "MessageSid": sid[2], "MessageStatus": "failed",
                                 "ErrorCode": "30005"})[0] == 204
    expected = {people[0][0]: ("delivered", None), people[1][0]: ("failed", "twilio_30003"),
                people[2][0]: ("failed", "twilio_30005")}
    assert eventually(lambda: all(_state(served, broadcast, person) == want
                                  for person, want in expected.items()))
    assert {person: _state(served, broadcast, person) for person in expected} == expected
    # Handset off (30003): still subscribed. Unknown number (30005): unsubscribed, opted out.
    assert store.get(people[1][0]) is not None
    assert store.get(people[2][0]) is None
    assert OptOutStore(served).is_opted_out(people[2][0])


def test_the_subscribe_command_and_a_block_on_telegram(
        server: RunningServer, fake_telegram: FakeTelegram, store: SubscriptionStore) -> None:
    user = TelegramUser(server, fake_telegram, "ar")
    person = pseudonym(PSEUDONYM_KEY.encode(), "telegram", str(user.chat_id))
    [offer] = user.says("/subscribe")
    assert CONTENT.message("subscribe_consent", "ar", stop="/stop") in offer
    user.press("2")
    assert eventually(lambda: store.get(person) is not None)
    found = store.get(person)
    assert found is not None and (found.language, found.topics) == ("ar", ("srhr",))
    member = {"user": {"id": user.chat_id, "is_bot": False, "first_name": "A"}}
    user.post({"my_chat_member": {
        "chat": {"id": user.chat_id, "type": "private"}, "date": 1700000000,
        "from": {"id": user.chat_id, "is_bot": False, "first_name": "A"},
        "old_chat_member": {**member, "status": "member"},
        "new_chat_member": {**member, "status": "kicked", "until_date": 0}}})
    assert eventually(lambda: store.get(person) is None)
    assert OptOutStore(store.engine).is_opted_out(person)


def test_serve_sends_a_queued_broadcast_to_someone_who_subscribed_in_the_chat(
        server: RunningServer, fake_telegram: FakeTelegram, served: Engine,
        store: SubscriptionStore) -> None:
    user = TelegramUser(server, fake_telegram, "es")
    person = pseudonym(PSEUDONYM_KEY.encode(), "telegram", str(user.chat_id))
    user.says("quiero recibir alertas de salud")
    user.press("3")  # protection services
    assert eventually(lambda: store.get(person) is not None)
    service = BroadcastService(served, Settings.from_env({"SUBSCRIBER_KEY": SUBSCRIBER_KEY}))
    text = "Nuevo centro de acogida para mujeres en Rabat, abierto 24 horas."
    broadcast = service.create(Draft("Shelter", "protection", {"es": text}))
    service.queue(broadcast, by="test")  # what the dashboard does; serve's worker sends it
    assert fake_telegram.wait_for(
        lambda fake: any(m["text"] == text for m in fake.sent_messages(user.chat_id)), 30)
    assert eventually(lambda: service.status(broadcast).state == "done")
    assert service.status(broadcast).counts["delivered"] >= 1
