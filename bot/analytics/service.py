"""What the actions call: record a turn, forget a person.

`Analytics` turns a conversation id into a person key and hands events to the `Recorder`.
`current()` builds the process's one instance from the settings the first time an
action needs it (never at import time) and closes it at exit, so queued events are written
before the process ends.
"""

from __future__ import annotations

import atexit
import hashlib
import threading
import uuid
from datetime import datetime, timezone

from bot.analytics.definitions import UNKNOWN_COUNTRY
from bot.analytics.person import analytics_key, key_id, person_key
from bot.analytics.recorder import Recorder
from bot.analytics.spool import Event, Spool
from bot.db import create_engine_for
from bot.settings import Settings, get_settings

#: Conversation id prefixes the channels give (bot.pseudonym.PREFIXES), for trackers that do not
#: say which channel the message came in on.
PREFIX_CHANNELS = {"tg": "telegram", "sms": "sms", "wa": "whatsapp"}
CHANNELS = ("telegram", "sms", "whatsapp", "rest")


def channel_of(input_channel: str | None, conversation_id: str) -> str:
    """Return the channel a turn came from: the tracker's, else the id's prefix, else "rest"."""
    if input_channel in CHANNELS:
        return str(input_channel)
    prefix = conversation_id.partition("-")[0]
    return PREFIX_CHANNELS.get(prefix, "rest")


def current_hour() -> datetime:
    """Return the current UTC hour (naive, as the tables store it)."""
    return datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0, tzinfo=None)


class Analytics:
    """Record turns and forget people, by person key only."""

    def __init__(self, recorder: Recorder, key: bytes) -> None:
        self.recorder = recorder
        self._key = key
        self.key_id = key_id(key)

    @classmethod
    def from_settings(cls, settings: Settings) -> Analytics:
        """Open the database and the spool named by the settings and start the writer."""
        engine = create_engine_for(settings.database_url)
        spool = Spool(settings.analytics_spool_path, settings.analytics_spool_max_events)
        key = analytics_key(settings.pseudonym_key, settings.analytics_key_file)
        return cls(Recorder(engine, spool), key)

    def person(self, conversation_id: str) -> int:
        """Return the person key of a conversation."""
        return person_key(self._key, conversation_id)

    def record_turn(
        self,
        conversation_id: str,
        *,
        channel: str,
        language: str,
        country: str | None,
        topic: str,
        outcome: str,
        message_id: str | None = None,
    ) -> bool:
        """Queue one turn's event; return False if it was dropped.

        The event id is derived from the person key and Rasa's message id when there is one,
        so two of our actions running for the same message record it once.
        """
        person = self.person(conversation_id)
        if message_id:
            event_id = hashlib.sha256(f"{person}:{message_id}".encode()).hexdigest()[:32]
        else:
            event_id = uuid.uuid4().hex
        return self.recorder.record(Event(
            event_id=event_id, hour=current_hour(), channel=channel, language=language,
            country=country or UNKNOWN_COUNTRY, topic=topic, outcome=outcome, person=person,
            key_id=self.key_id))

    def forget(self, conversation_id: str) -> None:
        """Delete every analytics row of this conversation's person (queued, spooled, stored)."""
        self.recorder.forget(self.person(conversation_id))

    def close(self) -> None:
        """Write what is queued and stop."""
        self.recorder.close()


_current: Analytics | None = None
_lock = threading.Lock()


def install(analytics: Analytics | None) -> Analytics | None:
    """Make `analytics` this process's instance (tests, benches); return the previous one."""
    global _current
    with _lock:
        previous, _current = _current, analytics
    return previous


def current() -> Analytics:
    """Return this process's Analytics, built from the settings on first use."""
    global _current
    with _lock:
        if _current is None:
            _current = Analytics.from_settings(get_settings())
            atexit.register(_current.close)
        return _current
