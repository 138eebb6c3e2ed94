"""Creating, previewing, queueing and cancelling broadcasts (no vendor involved)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.broadcasts.service import (
    Audience,
    BroadcastError,
    BroadcastService,
    Draft,
    Template,
)
from bot.settings import Settings
from bot.sms import segments
from bot.subscriptions import SubscriptionStore
from tests.broadcasts.conftest import add_subscriber

ARABIC = "حملة تطعيم مجانية للأطفال في المراكز الصحية هذا الأسبوع، بدون أوراق. اسألوا في أقرب مركز."
FRENCH = "Campagne de vaccination gratuite pour les enfants cette semaine, sans papiers."
TEMPLATE = Template("HX" + "ab" * 16, {"1": "vaccination"})


@pytest.fixture
def service(engine: Engine, settings: Settings) -> BroadcastService:
    return BroadcastService(engine, settings)


def draft(**changes: object) -> Draft:
    values: dict[str, object] = {"name": "Vaccination week", "topic": "vaccination",
                                 "texts": {"fr": FRENCH, "ar": ARABIC}}
    values.update(changes)
    return Draft(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("changes, message", [
    ({"topic": "weather"}, "topic must be one of"),
    ({"texts": {"fr": "  "}}, "at least one text"),
    ({"texts": {"xx": "hello"}}, "unknown language"),
    ({"texts": {"en": "x" * 5000}}, "longer than 4096"),
    ({"texts": {"ar": "ب" * 700}}, "SMS segments"),
    ({"templates": {"fr": Template("HX123")}}, "content_sid"),
    ({"audience": Audience(countries=("Atlantis",))}, "unknown country"),
    ({"name": ""}, "name"),
])
def test_invalid_drafts_are_refused_with_a_reason(service: BroadcastService,
                                                   changes: dict[str, object],
                                                   message: str) -> None:
    with pytest.raises(BroadcastError, match=message):
        service.create(draft(**changes))


def test_preview_counts_recipients_and_skips_per_channel_and_language(
        service: BroadcastService, subscribers: SubscriptionStore) -> None:
    for channel, language in [("telegram", "fr")] * 3 + [("sms", "ar")] * 2 + [
            ("sms", "en"), ("telegram", "es")]:
        add_subscriber(subscribers, channel, language, topics=("vaccination",))
    add_subscriber(subscribers, "telegram", "fr", topics=("srhr",))  # another topic
    broadcast = service.create(draft())
    preview = service.preview(broadcast)
    assert preview.recipients == {("telegram", "fr"): 3, ("sms", "ar"): 2}
    assert preview.skipped_no_text == {("sms", "en"): 1, ("telegram", "es"): 1}
    assert preview.total == 5 and not preview.problems


def test_preview_counts_arabic_sms_in_ucs2_segments_and_estimates_cost_and_time(
        engine: Engine, settings: Settings, subscribers: SubscriptionStore) -> None:
    from dataclasses import replace

    paced = replace(settings, broadcast_rates={"telegram": 30.0, "sms": 2.0, "whatsapp": 20.0},
                    sms_price=0.1)
    service = BroadcastService(engine, paced)
    for _ in range(4):
        add_subscriber(subscribers, "sms", "ar", topics=("vaccination",))
    for _ in range(60):
        add_subscriber(subscribers, "telegram", "fr", topics=("vaccination",))
    preview = service.preview(service.create(draft()))
    assert preview.sms_encoding == {"fr": "GSM-7", "ar": "UCS-2"}
    assert preview.sms_segments["ar"] == segments(ARABIC) == 2  # 85 characters > 70
    assert preview.sms_segments["fr"] == 1
    assert preview.cost == {"ar": pytest.approx(4 * 2 * 0.1), "fr": 0.0}
    # Telegram: 60 at 30/s = 2 s; SMS: 8 segments at 2/s = 4 s; in parallel.
    assert preview.duration_seconds == pytest.approx(4.0)


def test_whatsapp_without_a_template_is_refused(service: BroadcastService,
                                                subscribers: SubscriptionStore) -> None:
    add_subscriber(subscribers, "whatsapp", "ar", topics=("vaccination",))
    add_subscriber(subscribers, "whatsapp", "fr", topics=("vaccination",))
    broadcast = service.create(draft(templates={"fr": TEMPLATE}))
    preview = service.preview(broadcast)
    assert preview.problems and "template" in preview.problems[0] and "ar" in preview.problems[0]
    with pytest.raises(BroadcastError, match="template"):
        service.queue(broadcast)
    assert service.status(broadcast).total == 0
    with_both = service.create(draft(templates={"fr": TEMPLATE, "ar": TEMPLATE}))
    assert service.queue(with_both).counts["queued"] == 2


def test_queueing_twice_adds_nobody_twice(service: BroadcastService,
                                          subscribers: SubscriptionStore) -> None:
    for _ in range(3):
        add_subscriber(subscribers, "telegram", "fr", topics=("vaccination",))
    broadcast = service.create(draft())
    assert service.queue(broadcast).counts["queued"] == 3
    add_subscriber(subscribers, "telegram", "ar", topics=("vaccination",))
    status = service.queue(broadcast)
    assert status.counts["queued"] == 4 and status.total == 4 and status.state == "sending"


def test_a_scheduled_broadcast_waits(service: BroadcastService,
                                     subscribers: SubscriptionStore) -> None:
    add_subscriber(subscribers, "telegram", "fr", topics=("vaccination",))
    later = datetime.utcnow() + timedelta(hours=2)
    broadcast = service.create(draft(scheduled_at=later))
    assert service.queue(broadcast).state == "scheduled"
    assert broadcast not in service.outbox.due(datetime.utcnow())
    assert broadcast in service.outbox.due(later + timedelta(minutes=1))
    assert service.status(broadcast).state == "sending"


def test_cancel_skips_what_is_queued(service: BroadcastService,
                                     subscribers: SubscriptionStore) -> None:
    for _ in range(2):
        add_subscriber(subscribers, "telegram", "fr", topics=("vaccination",))
    broadcast = service.create(draft())
    service.queue(broadcast)
    status = service.cancel(broadcast)
    assert status.state == "cancelled" and status.counts["skipped"] == 2
    assert status.reasons == {"skipped:cancelled": 2}
    with pytest.raises(BroadcastError, match="cancelled"):
        service.queue(broadcast)


def test_unknown_broadcast(service: BroadcastService) -> None:
    with pytest.raises(BroadcastError, match="no broadcast 999"):
        service.status(999)


def test_the_service_needs_the_subscriber_key(engine: Engine) -> None:
    with pytest.raises(BroadcastError, match="SUBSCRIBER_KEY"):
        BroadcastService(engine, Settings())


def test_a_broadcast_in_the_new_languages_reaches_their_subscribers_with_their_sms_cost(
        service: BroadcastService, subscribers: SubscriptionStore) -> None:
    amharic = ("በዚህ ሳምንት ለልጆች ነጻ የክትባት ዘመቻ አለ፣ ወረቀት አያስፈልግም። በአቅራቢያዎ ያለውን ጤና ጣቢያ"
               " ይጠይቁ፣ ሁሉም ልጆች ይከተባሉ።")
    somali = ("Toddobaadkan waxaa jira olole tallaal bilaash ah oo carruurta ah, waraaqo looma"
              " baahna.")
    for language in ("am", "so", "ha"):
        add_subscriber(subscribers, "sms", language, topics=("vaccination",))
    preview = service.preview(service.create(draft(texts={"am": amharic, "so": somali})))
    assert preview.recipients == {("sms", "am"): 1, ("sms", "so"): 1}
    assert preview.skipped_no_text == {("sms", "ha"): 1}
    # Ge'ez script goes out in UCS-2 (70 characters a segment), Somali in GSM-7.
    assert preview.sms_encoding == {"am": "UCS-2", "so": "GSM-7"}
    assert preview.sms_segments == {"am": segments(amharic), "so": 1}
    assert segments(amharic) == 2
