"""The worker against the fake Telegram and Twilio servers on loopback: who gets what, once."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.analytics.report import build_report
from bot.analytics.service import Analytics
from bot.broadcasts.delivery import BroadcastWorker, Progress, Senders
from bot.broadcasts.service import Audience, BroadcastService, Draft, Template
from bot.broadcasts.store import outbox
from bot.channels.base import RetryPolicy
from bot.optouts import OptOutStore
from bot.settings import Settings
from bot.subscriptions import SubscriptionStore
from tests.broadcasts.conftest import add_subscriber
from tests.conftest import SMS_FROM, WHATSAPP_FROM
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio

TEXTS = {
    "en": "Free vaccination for children this week at public health centres. No papers needed.",
    "fr": "Vaccination gratuite des enfants cette semaine dans les centres de santé publics.",
    "ar": "تطعيم مجاني للأطفال هذا الأسبوع في المراكز الصحية العمومية، بدون أوراق.",
}
TEMPLATE = Template("HX" + "cd" * 16, {"1": "12 May"})
FAST = RetryPolicy(attempts=4, base_delay=0.05, max_delay=0.2)


def worker_for(engine: Engine, settings: Settings, analytics: Analytics | None = None,
               **options: object) -> BroadcastWorker:
    return BroadcastWorker(engine, settings, senders=Senders(settings, FAST),
                           analytics=analytics, **options)  # type: ignore[arg-type]


def rows(engine: Engine, broadcast_id: int) -> dict[str, tuple[str, str | None]]:
    with engine.connect() as connection:
        return {row.person: (row.state, row.reason) for row in connection.execute(
            select(outbox).where(outbox.c.broadcast_id == broadcast_id))}


async def test_each_subscriber_gets_the_text_of_their_language_once(
        engine: Engine, settings: Settings, subscribers: SubscriptionStore,
        fake_telegram: FakeTelegram, fake_twilio: FakeTwilio) -> None:
    people = {}
    for channel, language in [("telegram", "en"), ("telegram", "fr"), ("telegram", "ar"),
                              ("sms", "ar"), ("sms", "fr"), ("whatsapp", "fr"),
                              ("telegram", "es")]:
        people[(channel, language)] = add_subscriber(subscribers, channel, language,
                                                     topics=("vaccination",))
    outside = add_subscriber(subscribers, "telegram", "fr", country="Tunisia",
                             topics=("vaccination",))
    other_topic = add_subscriber(subscribers, "telegram", "fr", topics=("srhr",))
    service = BroadcastService(engine, settings)
    broadcast = service.create(Draft("Vaccination", "vaccination", TEXTS,
                                     Audience(countries=("Morocco",)),
                                     templates={"fr": TEMPLATE}))
    service.queue(broadcast)
    state = await worker_for(engine, settings).send(broadcast)

    assert state == "done"
    for language in ("en", "fr", "ar"):
        _, chat = people[("telegram", language)]
        assert [m["text"] for m in fake_telegram.sent_messages(chat)] == [TEXTS[language]]
    for language in ("ar", "fr"):
        _, number = people[("sms", language)]
        sent = fake_twilio.sent_messages(number)
        assert [(m["Body"], m["From"]) for m in sent] == [(TEXTS[language], SMS_FROM)]
        assert sent[0]["StatusCallback"] == "https://assistant.example.org/webhooks/twilio/status"
    _, whatsapp = people[("whatsapp", "fr")]
    [template_sent] = fake_twilio.sent_messages(whatsapp)
    assert template_sent["ContentSid"] == TEMPLATE.content_sid
    assert template_sent["ContentVariables"] == '{"1": "12 May"}'
    assert template_sent["From"] == WHATSAPP_FROM and "Body" not in template_sent
    for nobody in (outside, other_topic, people[("telegram", "es")]):
        assert fake_telegram.sent_messages(nobody[1]) == []
    status = service.status(broadcast)
    assert status.counts["delivered"] == 3  # Telegram: in the chat
    assert status.counts["sent"] == 3  # Twilio: accepted, delivery comes by callback
    assert status.reasons == {"skipped:no_text": 1}
    assert status.total == 7


async def test_an_opt_out_in_the_middle_of_a_broadcast_is_respected(
        engine: Engine, settings: Settings, subscribers: SubscriptionStore,
        fake_telegram: FakeTelegram) -> None:
    people = [add_subscriber(subscribers, "telegram", "en") for _ in range(12)]
    service = BroadcastService(engine, settings)
    broadcast = service.create(Draft("Heat wave", "general", {"en": "Heat wave: drink water."}))
    service.queue(broadcast)
    # The outbox is sent in pseudonym order: the last two are in the last window.
    ordered = sorted(people)
    stopping, unsubscribing = ordered[-1], ordered[-2]
    optouts = OptOutStore(engine)

    def after_first_window(_: int) -> None:
        if not optouts.is_opted_out(stopping[0]):
            optouts.mark(stopping[0], "telegram", "stop")  # STOP while the broadcast runs
            subscribers.remove(unsubscribing[0])  # "stop the alerts"

    await worker_for(engine, settings, in_flight=4).send(
        broadcast, Progress(on_step=after_first_window))
    assert fake_telegram.sent_messages(stopping[1]) == []
    assert fake_telegram.sent_messages(unsubscribing[1]) == []
    states = rows(engine, broadcast)
    assert states[stopping[0]] == ("skipped", "opted_out")
    assert states[unsubscribing[0]] == ("skipped", "unsubscribed")
    assert sum(1 for person, _ in ordered[:-2]
               if states[person] == ("delivered", None)) == 10


async def test_a_429_waits_retry_after_and_sends_once(
        engine: Engine, settings: Settings, subscribers: SubscriptionStore,
        fake_telegram: FakeTelegram, fake_twilio: FakeTwilio) -> None:
    chats = [add_subscriber(subscribers, "telegram", "en")[1] for _ in range(3)]
    numbers = [add_subscriber(subscribers, "sms", "en")[1] for _ in range(2)]
    fake_telegram.fail_next("sendMessage", 429, retry_after=1)
    fake_twilio.fail_next(429, 20429, "Too Many Requests", retry_after=1)
    service = BroadcastService(engine, settings)
    broadcast = service.create(Draft("Clinic hours", "general", {"en": "New clinic hours."}))
    service.queue(broadcast)
    started = time.monotonic()
    await worker_for(engine, settings).send(broadcast)
    assert time.monotonic() - started >= 1.0
    assert [len(fake_telegram.sent_messages(chat)) for chat in chats] == [1, 1, 1]
    assert [len(fake_twilio.sent_messages(number)) for number in numbers] == [1, 1]
    assert len(fake_telegram.calls_to("sendMessage")) == 4  # one refused with 429
    counts = service.status(broadcast).counts
    assert (counts["delivered"], counts["sent"], counts["failed"]) == (3, 2, 0)


async def test_unreachable_people_are_unsubscribed_and_opted_out(
        engine: Engine, settings: Settings, subscribers: SubscriptionStore,
        fake_telegram: FakeTelegram, fake_twilio: FakeTwilio) -> None:
    blocked, chat = add_subscriber(subscribers, "telegram", "en")
    stopped, number = add_subscriber(subscribers, "sms", "en")
    fine, _ = add_subscriber(subscribers, "telegram", "en")
    fake_telegram.block(chat)
    fake_twilio.unsubscribed(number)
    service = BroadcastService(engine, settings)
    broadcast = service.create(Draft("Alert", "general", {"en": "Alert."}))
    service.queue(broadcast)
    await worker_for(engine, settings).send(broadcast)
    states = rows(engine, broadcast)
    assert states[blocked] == ("failed", "unreachable") == states[stopped]
    assert states[fine] == ("delivered", None)
    assert subscribers.get(blocked) is None and subscribers.get(stopped) is None
    optouts = OptOutStore(engine)
    assert optouts.is_opted_out(blocked) and optouts.is_opted_out(stopped)
    assert not optouts.is_opted_out(fine)


async def test_a_server_error_is_retried_and_a_lasting_one_is_listed_as_failed(
        engine: Engine, settings: Settings, subscribers: SubscriptionStore,
        fake_telegram: FakeTelegram) -> None:
    people = [add_subscriber(subscribers, "telegram", "en") for _ in range(2)]
    fake_telegram.fail_next("sendMessage", 502, times=1)
    service = BroadcastService(engine, settings)
    broadcast = service.create(Draft("Alert", "general", {"en": "Alert."}))
    service.queue(broadcast)
    await worker_for(engine, settings, in_flight=1).send(broadcast)
    assert all(len(fake_telegram.sent_messages(chat)) == 1 for _, chat in people)
    assert service.status(broadcast).counts["delivered"] == 2

    fake_telegram.reset()
    fake_telegram.fail_next("sendMessage", 502, times=10)
    again = service.create(Draft("Alert 2", "general", {"en": "Alert."}))
    service.queue(again)
    await worker_for(engine, settings, in_flight=1).send(again)
    status = service.status(again)
    assert status.counts["failed"] >= 1 and status.reasons.get("failed:gave_up", 0) >= 1
    assert status.counts["failed"] + status.counts["delivered"] == 2


async def test_a_cancelled_broadcast_sends_nothing_more(
        engine: Engine, settings: Settings, subscribers: SubscriptionStore,
        fake_telegram: FakeTelegram) -> None:
    for _ in range(5):
        add_subscriber(subscribers, "telegram", "en")
    service = BroadcastService(engine, settings)
    broadcast = service.create(Draft("Alert", "general", {"en": "Alert."}))
    service.queue(broadcast)

    def cancel_after_first_window(_: int) -> None:
        if service.status(broadcast).state != "cancelled":
            service.cancel(broadcast)

    state = await worker_for(engine, settings, in_flight=2).send(
        broadcast, Progress(on_step=cancel_after_first_window))
    assert state == "cancelled"
    assert len(fake_telegram.sent_messages()) == 2
    assert service.status(broadcast).reasons == {"skipped:cancelled": 3}


async def test_delivered_broadcasts_count_as_people_reached_not_as_interactions(
        engine: Engine, settings: Settings, subscribers: SubscriptionStore,
        tmp_path: object) -> None:
    for _ in range(6):
        add_subscriber(subscribers, "telegram", "fr", country="Egypt")
    analytics = Analytics.from_settings(settings)
    service = BroadcastService(engine, settings)
    broadcast = service.create(Draft("Alert", "general", {"fr": "Alerte."}))
    service.queue(broadcast)
    await worker_for(engine, settings, analytics).send(broadcast)
    # The same broadcast counted again (a second run, a late callback) counts once.
    service.queue(broadcast)
    await worker_for(engine, settings, analytics).send(broadcast)
    analytics.close()
    from datetime import date

    report = build_report(engine, date.today(), date.today(), ("country", "topic"))
    assert report.total["people_reached_by_broadcast"] == 6
    assert report.total["interactions"] == 0
    [row] = report.rows
    assert (row["country"], row["topic"]) == ("Egypt", "broadcast_general")


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
async def test_a_channel_that_is_off_fails_its_recipients_visibly(
        engine: Engine, settings: Settings, subscribers: SubscriptionStore,
        channel: str) -> None:
    person, _ = add_subscriber(subscribers, channel, "en")
    assert settings.twilio is not None
    twilio_off = replace(settings, twilio=None)
    service = BroadcastService(engine, twilio_off)
    broadcast = service.create(Draft("Alert", "general", {"en": "Alert."},
                                     templates={"en": TEMPLATE}))
    service.queue(broadcast)
    await worker_for(engine, twilio_off).send(broadcast)
    assert rows(engine, broadcast)[person] == ("failed", "channel_off")


async def test_addresses_under_another_key_fail_visibly_instead_of_stopping_the_send(
        engine: Engine, settings: Settings, fake_telegram: FakeTelegram) -> None:
    from cryptography.fernet import Fernet

    old_key = SubscriptionStore(engine, Fernet.generate_key())
    person, _ = add_subscriber(old_key, "telegram", "en")
    service = BroadcastService(engine, settings)
    broadcast = service.create(Draft("Alert", "general", {"en": "Alert."}))
    service.queue(broadcast)
    assert await worker_for(engine, settings).send(broadcast) == "done"
    assert rows(engine, broadcast)[person] == ("failed", "address_key")
    assert fake_telegram.sent_messages() == []
