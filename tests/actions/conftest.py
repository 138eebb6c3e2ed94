"""Build real rasa-sdk trackers for action tests, no network."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.content import Content, load_content
from bot.paths import CONTENT_DIR

SLOT_DEFAULTS = {"language": None, "country": None, "city": None, "choices": None,
                 "pending_topic": None, "fallback_count": 0.0}


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(CONTENT_DIR)


@pytest.fixture()
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def make_tracker(
    intent: str,
    text: str = "",
    *,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    language: str | None = None,
    decisive: bool = True,
    ranking: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Tracker:
    """Return a tracker whose latest message is the given NLU result."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "intent_ranking": ranking or [{"name": intent, "confidence": 0.9}],
        "language": language,
        "language_confidence": 0.9 if decisive else 0.2,
        "language_method": "test",
        "language_decisive": decisive,
    }
    events = [{"event": "user", "text": text, "parse_data": latest, "metadata": metadata or {}}]
    return Tracker("conversation-1", {**SLOT_DEFAULTS, **(slots or {})}, latest, events,
                   False, None, {}, "action_listen")


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the slots the events set, by name."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    """Return the texts the action sent."""
    return [m["text"] for m in dispatcher.messages if m.get("text")]
