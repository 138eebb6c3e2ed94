"""What an action knows about the current turn, and how it speaks.

`Turn` reads the tracker once (intent, entities, slots, the language evidence the NLU attached)
and decides the reply language. Actions then call `say` and `ask`: `ask` sends a numbered list
that works on plain SMS ("1 ...", "2 ...") with the same choices as buttons for channels that
show them, and remembers the choices so that a reply of "2" maps back to the second one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.content import Content, cached_content
from bot.content.directory import DIRECTORY_MAX_AGE_DAYS
from bot.content.gazetteer import Gazetteer
from bot.content.render import numbered
from bot.language import Detection, decide_language
from bot.settings import Settings, get_settings

#: Topics whose answer, cut short by a crash, is sent again rather than risked lost
#: (`bot.inbox`): a second copy is better than no emergency number.
URGENT_TOPICS = frozenset({"emergency", "gbv", "trafficking", "child_protection"})


@dataclass
class Turn:
    """The current turn: what was understood, the state, and the reply being built."""

    content: Content
    dispatcher: CollectingDispatcher
    intent: str | None
    intent_ranking: list[dict[str, Any]]
    entities: list[dict[str, Any]]
    text: str
    language: str
    country: str | None
    choices: list[str]
    pending_topic: str | None
    fallback_count: int
    slots_before: dict[str, Any]
    events: list[EventType] = field(default_factory=list)
    #: The city the person is in (a city key of places.yml, in `country`), when known.
    city: str | None = None
    #: Directory entries verified longer ago than this are flagged as such.
    directory_max_age_days: int = DIRECTORY_MAX_AGE_DAYS
    today: dt.date = field(default_factory=dt.date.today)
    conversation_id: str = ""
    input_channel: str | None = None
    message_id: str | None = None
    #: What the turn did, for analytics: the topics it answered, and whether it took a
    #: fallback path (not understood).
    answered: list[str] = field(default_factory=list)
    unanswered: bool = False
    #: The domain gate's verdict on the message ("keep", "ask", "reject"; None without one).
    domain_verdict: str | None = None

    @classmethod
    def from_tracker(
        cls,
        tracker: Tracker,
        dispatcher: CollectingDispatcher,
        settings: Settings | None = None,
        content: Content | None = None,
    ) -> Turn:
        """Read the tracker and decide the reply language for this turn."""
        settings = settings or get_settings()
        content = content or cached_content(str(settings.content_dir))
        latest = tracker.latest_message or {}
        intent = (latest.get("intent") or {}).get("name")
        entities = list(latest.get("entities") or [])
        detection = Detection(
            latest.get("language"),
            float(latest.get("language_confidence") or 0.0),
            str(latest.get("language_method") or ""),
            bool(latest.get("language_decisive")),
        )
        explicit = None
        if intent == "choose_language":
            named = [e.get("value") for e in entities if e.get("entity") == "language"]
            explicit = next((code for code in named if code in content.languages), None)
        previous = tracker.get_slot("language")
        language = decide_language(
            detection,
            explicit=explicit,
            previous=previous if previous in content.languages else None,
            hint=_language_hint(tracker),
            default=settings.default_language,
        )
        mentioned = [e.get("value") for e in entities if e.get("entity") == "country"]
        country = next((c for c in mentioned if c in content.countries), None)
        slot_country = tracker.get_slot("country")
        if country is None and slot_country in content.countries:
            country = slot_country
        city = _city(content, tracker, country, mentioned_country=country in mentioned)
        slots_before = {
            name: tracker.get_slot(name)
            for name in ("language", "country", "city", "choices", "pending_topic",
                         "fallback_count")
        }
        return cls(
            content=content,
            dispatcher=dispatcher,
            intent=intent,
            intent_ranking=list(latest.get("intent_ranking") or []),
            domain_verdict=(latest.get("domain") or {}).get("verdict"),
            entities=entities,
            text=str(latest.get("text") or ""),
            language=language,
            country=country,
            choices=list(tracker.get_slot("choices") or []),
            pending_topic=tracker.get_slot("pending_topic"),
            fallback_count=int(tracker.get_slot("fallback_count") or 0),
            slots_before=slots_before,
            city=city,
            directory_max_age_days=settings.directory_max_age_days,
            conversation_id=str(tracker.sender_id or ""),
            input_channel=tracker.get_latest_input_channel(),
            message_id=_message_id(tracker),
        )

    def entity(self, name: str) -> str | None:
        """Return the first value of entity `name` in this message."""
        return next((e.get("value") for e in self.entities if e.get("entity") == name), None)

    def message(self, key: str, /, **values: str) -> str:
        """Return interface sentence `key` in the reply language."""
        return self.content.message(key, self.language, **values)

    def say(self, text: str, **flags: bool) -> None:
        """Send `text`.

        Each message carries its language (channels phrase their own additions, such as
        "reply MORE", in it) and any `flags` for the channel, such as `forget=True` after a
        deletion.
        """
        if self.urgent:
            flags.setdefault("urgent", True)
        self.dispatcher.utter_message(text=text, language=self.language, **flags)

    @property
    def urgent(self) -> bool:
        """Return True when this turn answers an emergency or a protection topic."""
        return self.intent in URGENT_TOPICS or not URGENT_TOPICS.isdisjoint(self.answered)

    def ask(self, title: str, options: list[tuple[str, str]], footer: str | None = None) -> None:
        """Send a numbered question; `options` are (choice, label) pairs.

        The choices are remembered, so the answer "2" picks the second one. Buttons carry the
        number only: a payload is read as text, never as an intent.
        """
        labels = [label for _, label in options]
        text = numbered(title, labels)
        if footer:
            text = f"{text}\n{footer}"
        buttons = [{"title": label, "payload": str(i)} for i, label in enumerate(labels, 1)]
        flags = {"urgent": True} if self.urgent else {}
        self.dispatcher.utter_message(text=text, buttons=buttons, language=self.language,
                                      **flags)
        self.choices = [choice for choice, _ in options]

    def topic_title(self, topic: str) -> str:
        """Return the title of `topic` in the reply language."""
        titles = self.content.topics[topic].title
        return titles.get(self.language) or titles["en"]

    def final_events(self) -> list[EventType]:
        """Return the slot events that record what this turn changed, then the action's own."""
        after = {
            "language": self.language,
            "country": self.country,
            "city": self.city,
            "choices": self.choices or None,
            "pending_topic": self.pending_topic,
            "fallback_count": float(self.fallback_count),
        }
        before = dict(self.slots_before)
        before["choices"] = before["choices"] or None
        before["fallback_count"] = float(before["fallback_count"] or 0)
        changed = [SlotSet(name, value) for name, value in after.items() if before[name] != value]
        return changed + self.events


_GAZETTEERS: dict[int, tuple[Content, Gazetteer]] = {}


def _gazetteer(content: Content) -> Gazetteer:
    """Return the gazetteer of `content`, built once per content object."""
    cached = _GAZETTEERS.get(id(content))
    if cached is None or cached[0] is not content:
        if len(_GAZETTEERS) > 8:
            _GAZETTEERS.clear()
        cached = _GAZETTEERS[id(content)] = (content, Gazetteer(content))
    return cached[1]


def _city(content: Content, tracker: Tracker, country: str | None, *,
          mentioned_country: bool) -> str | None:
    """Return the city the person is in: named in this message, else remembered.

    The message is matched with the same gazetteer the NLU uses ("je suis a Sfax", "f tanja",
    "في صفاقس"). A remembered city is kept only while the country stays the same; naming a
    country without a city forgets it.
    """
    if country is None:
        return None
    text = str((tracker.latest_message or {}).get("text") or "")
    for mention in _gazetteer(content).find(text):
        if mention.entity == "country" and mention.value == country and mention.city:
            return mention.city
    if mentioned_country and tracker.get_slot("country") != country:
        return None
    remembered = tracker.get_slot("city")
    return remembered if remembered in content.countries[country].cities else None


def _message_id(tracker: Tracker) -> str | None:
    """Return Rasa's id of the message this turn answers, or None."""
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            value = event.get("message_id")
            return value if isinstance(value, str) and value else None
    return None


def _language_hint(tracker: Tracker) -> str | None:
    """Return the channel's language hint (Telegram's language_code) for the last message."""
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            hint = (event.get("metadata") or {}).get("language_hint")
            return hint if isinstance(hint, str) else None
    return None
