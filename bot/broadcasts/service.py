"""Broadcasts as NGO staff see them: create, preview, queue, cancel, follow.

The command line (`migrant-bot broadcast ...`) and the staff dashboard both call this service;
the sending itself is done by a worker (`bot.broadcasts.delivery`), started by
`migrant-bot broadcast send` or `broadcast worker`.

Choices made where the issue is silent:

* A broadcast has one topic (general, srhr, protection, vaccination) and reaches subscribers of
  that topic; the audience may narrow it further by country, language and channel (an empty
  filter means everyone).
* A subscriber whose language has no text is skipped and counted (`skipped:no_text`); there is
  no fallback to another language, because a message the person cannot read is noise on a
  phone with little credit.
* WhatsApp outside the 24-hour window takes only approved templates, and the assistant keeps no
  record of when a person last wrote, so every WhatsApp broadcast is sent as a template:
  queueing is refused while a language that reaches WhatsApp subscribers has none.
* Texts are at most 4,096 characters (one Telegram message) and 10 SMS segments.
* Cost is an estimate at the configured prices (`BROADCAST_SMS_SEGMENT_PRICE`,
  `BROADCAST_WHATSAPP_PRICE`); Telegram is free. Duration is the slowest channel's count at
  its configured rate (channels are sent in parallel; SMS counts segments against the MPS).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from bot.broadcasts import store
from bot.broadcasts.store import OutboxStore
from bot.migrations import ensure_schema
from bot.optouts import OptOutStore
from bot.settings import SUPPORTED_LANGUAGES, Settings
from bot.sms import encoding, segments
from bot.subscriptions import CHANNELS, TOPICS, SubscriptionStore

COUNTRIES = ("Morocco", "Tunisia", "Egypt", "Libya", "Yemen")
MAX_TEXT_CHARS = 4096
MAX_SMS_SEGMENTS = 10
CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")


class BroadcastError(ValueError):
    """A broadcast cannot be created or sent as asked; the message is safe to show staff."""


@dataclass(frozen=True)
class Audience:
    """Who may receive a broadcast; an empty tuple means everyone on that dimension."""

    countries: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, list[str]]:
        """Return the audience as JSON-ready data."""
        return {"countries": list(self.countries), "languages": list(self.languages),
                "channels": list(self.channels), "topics": list(self.topics)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Audience:
        """Read an audience written by `as_dict`."""
        return cls(*(tuple(data.get(name) or ()) for name in
                     ("countries", "languages", "channels", "topics")))


@dataclass(frozen=True)
class Template:
    """A Twilio content template approved for WhatsApp, and the values of its variables."""

    content_sid: str
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Draft:
    """A broadcast as staff write it."""

    name: str
    topic: str
    texts: dict[str, str]
    audience: Audience = Audience()
    templates: dict[str, Template] = field(default_factory=dict)
    scheduled_at: datetime | None = None
    created_by: str | None = None


@dataclass(frozen=True)
class Preview:
    """What sending a broadcast would do."""

    recipients: dict[tuple[str, str], int]
    skipped_no_text: dict[tuple[str, str], int]
    sms_segments: dict[str, int]
    sms_encoding: dict[str, str]
    cost: dict[str, float]
    currency: str
    duration_seconds: float
    problems: list[str]

    @property
    def total(self) -> int:
        """Return how many people would receive it."""
        return sum(self.recipients.values())


@dataclass(frozen=True)
class Status:
    """A broadcast and where its delivery stands."""

    id: int
    name: str
    topic: str
    state: str
    created_at: datetime
    scheduled_at: datetime | None
    created_by: str | None
    languages: tuple[str, ...]
    counts: dict[str, int]
    total: int
    reasons: dict[str, int] = field(default_factory=dict)


class BroadcastService:
    """Create, preview, queue and cancel broadcasts."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        if settings.subscriber_key is None:
            raise BroadcastError("broadcasts need SUBSCRIBER_KEY (the key that encrypts "
                                 "subscribers' addresses)")
        ensure_schema(engine)
        self.engine = engine
        self.settings = settings
        self.outbox = OutboxStore(engine)
        self.subscriptions = SubscriptionStore(engine, settings.subscriber_key)
        self.optouts = OptOutStore(engine)

    def create(self, draft: Draft) -> int:
        """Validate and store a draft; return its id."""
        _validate(draft)
        texts = {language: text.strip() for language, text in draft.texts.items()
                 if text.strip()}
        return self.outbox.insert_broadcast({
            "name": draft.name.strip(), "topic": draft.topic, "texts": texts,
            "templates": {language: {"content_sid": t.content_sid, "variables": t.variables}
                          for language, t in draft.templates.items()},
            "audience": draft.audience.as_dict(), "state": store.DRAFT,
            "scheduled_at": draft.scheduled_at, "created_by": draft.created_by,
        })

    def preview(self, broadcast_id: int) -> Preview:
        """Count recipients and skips per channel and language; estimate segments, cost, time."""
        row = self._row(broadcast_id)
        texts: dict[str, str] = row["texts"]
        templates: dict[str, Any] = row["templates"]
        recipients: dict[tuple[str, str], int] = defaultdict(int)
        skipped: dict[tuple[str, str], int] = defaultdict(int)
        for subscriber in self._audience(row):
            key = (subscriber.channel, subscriber.language)
            (recipients if subscriber.language in texts else skipped)[key] += 1
        sms_segments = {language: segments(text) for language, text in texts.items()}
        sms_encoding = {language: encoding(text) for language, text in texts.items()}
        cost: dict[str, float] = defaultdict(float)
        seconds = defaultdict(float)
        rates = self.settings.broadcast_rates
        for (channel, language), number in recipients.items():
            cost.setdefault(language, 0.0)  # Telegram is free, and shown as such
            if channel == "sms":
                cost[language] += number * sms_segments[language] * self.settings.sms_price
                seconds[channel] += number * sms_segments[language] / rates["sms"]
            elif channel == "whatsapp":
                cost[language] += number * self.settings.whatsapp_price
                seconds[channel] += number / rates["whatsapp"]
            else:
                seconds[channel] += number / rates["telegram"]
        problems = []
        missing = sorted({language for (channel, language), number in recipients.items()
                          if channel == "whatsapp" and number and language not in templates})
        if missing:
            problems.append("WhatsApp needs an approved template (content_sid) for: "
                            f"{', '.join(missing)}; add one or leave WhatsApp out of the "
                            "audience")
        return Preview(dict(recipients), dict(skipped), sms_segments, sms_encoding,
                       {language: round(value, 4) for language, value in cost.items()},
                       self.settings.broadcast_currency, max(seconds.values(), default=0.0),
                       problems)

    def queue(self, broadcast_id: int, by: str | None = None) -> Status:
        """Fill the outbox with the audience as it is now; a worker then sends it.

        Queueing twice adds only people who subscribed since. A broadcast with a schedule in
        the future waits (state "scheduled") until a worker finds it due.
        """
        row = self._row(broadcast_id)
        if row["state"] == store.CANCELLED:
            raise BroadcastError(f"broadcast {broadcast_id} was cancelled")
        preview = self.preview(broadcast_id)
        if preview.problems:
            raise BroadcastError("; ".join(preview.problems))
        texts = row["texts"]
        rows = [{"person": s.person, "channel": s.channel, "language": s.language,
                 "country": s.country,
                 "state": store.QUEUED if s.language in texts else store.SKIPPED,
                 "reason": None if s.language in texts else "no_text"}
                for s in self._audience(row)]
        self.outbox.fill(broadcast_id, rows)
        scheduled = row["scheduled_at"]
        state = store.SCHEDULED if scheduled and scheduled > store.now() else store.SENDING
        if row["state"] in (store.DRAFT, store.DONE, store.SCHEDULED, store.SENDING):
            self.outbox.set_state(broadcast_id, state, queued_at=store.now(), finished_at=None)
        return self.status(broadcast_id)

    def cancel(self, broadcast_id: int, by: str | None = None) -> Status:
        """Stop a broadcast: nothing more is sent; what was sent stays sent."""
        row = self._row(broadcast_id)
        if row["state"] == store.DONE:
            raise BroadcastError(f"broadcast {broadcast_id} is already sent")
        self.outbox.set_state(broadcast_id, store.CANCELLED, finished_at=store.now())
        self.outbox.skip_queued(broadcast_id, "cancelled")
        return self.status(broadcast_id)

    def resend_uncertain(self, broadcast_id: int) -> int:
        """Queue the uncertain sends again, at the operator's request; return how many."""
        self._row(broadcast_id)
        return self.outbox.requeue_uncertain(broadcast_id)

    def status(self, broadcast_id: int) -> Status:
        """Return the broadcast and its delivery counts."""
        return self._status(self._row(broadcast_id))

    def list(self, limit: int = 50) -> list[Status]:
        """Return the newest broadcasts first."""
        return [self._status(row) for row in self.outbox.broadcasts(limit)]

    def _status(self, row: dict[str, Any]) -> Status:
        counts = self.outbox.counts(row["id"])
        return Status(
            id=row["id"], name=row["name"], topic=row["topic"], state=row["state"],
            created_at=row["created_at"], scheduled_at=row["scheduled_at"],
            created_by=row["created_by"], languages=tuple(sorted(row["texts"])),
            counts=counts, total=sum(counts.values()), reasons=self.outbox.reasons(row["id"]))

    def _row(self, broadcast_id: int) -> dict[str, Any]:
        row = self.outbox.broadcast(broadcast_id)
        if row is None:
            raise BroadcastError(f"no broadcast {broadcast_id}")
        return row

    def _audience(self, row: dict[str, Any]):  # type: ignore[no-untyped-def]
        audience = Audience.from_dict(row["audience"])
        return self.subscriptions.audience(
            countries=audience.countries, languages=audience.languages,
            channels=audience.channels, topics=audience.topics or (row["topic"],))


def _validate(draft: Draft) -> None:
    problems = []
    if not draft.name.strip() or len(draft.name.strip()) > 120:
        problems.append("a name of 1 to 120 characters is required")
    if draft.topic not in TOPICS:
        problems.append(f"topic must be one of {', '.join(TOPICS)}")
    texts = {language: text for language, text in draft.texts.items() if text.strip()}
    if not texts:
        problems.append("at least one text is required")
    for language, text in draft.texts.items():
        if language not in SUPPORTED_LANGUAGES:
            problems.append(f"unknown language {language!r} "
                            f"(one of {', '.join(SUPPORTED_LANGUAGES)})")
        elif len(text) > MAX_TEXT_CHARS:
            problems.append(f"the {language} text is longer than {MAX_TEXT_CHARS} characters")
        elif segments(text) > MAX_SMS_SEGMENTS:
            problems.append(f"the {language} text needs {segments(text)} SMS segments "
                            f"(at most {MAX_SMS_SEGMENTS})")
    for language, template in draft.templates.items():
        if language not in SUPPORTED_LANGUAGES:
            problems.append(f"a template for unknown language {language!r}")
        if not CONTENT_SID.fullmatch(template.content_sid):
            problems.append(f"the {language} template's content_sid must be HX followed by "
                            "32 hexadecimal digits")
    audience = draft.audience
    for values, allowed, what in ((audience.countries, COUNTRIES, "country"),
                                  (audience.languages, SUPPORTED_LANGUAGES, "language"),
                                  (audience.channels, CHANNELS, "channel"),
                                  (audience.topics, TOPICS, "topic")):
        unknown = [value for value in values if value not in allowed]
        if unknown:
            problems.append(f"unknown {what}: {', '.join(unknown)} "
                            f"(one of {', '.join(allowed)})")
    if problems:
        raise BroadcastError("; ".join(problems))
