"""The cached action-response validator accepts and rejects exactly what Rasa's own does."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered

from bot import rasa_speedups

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "country", "value": "MA", "timestamp": None}],
     "responses": [{"text": "Bonjour", "custom": {"language": "fr"}}]},
    {"events": [{"event": "followup", "name": "action_listen"}], "responses": []},
    {},
]
INVALID = [
    {"events": [{"event": "no_such_event"}]},
    {"events": "not a list"},
    {"events": [{"name": "country"}]},
    {"events": [{"event": "slot", "name": 7, "value": "MA"}]},
]


def verdict(result: dict) -> str | None:
    action = RemoteAction("action_test", None)
    try:
        action._validate_action_result(result)
    except ValidationError as error:
        return error.message
    return None


@pytest.fixture
def original():
    rasa_speedups.uninstall()
    yield
    rasa_speedups.install()


@pytest.mark.parametrize("result", VALID + INVALID)
def test_same_verdict_and_message_as_rasa(result: dict, original: None) -> None:
    expected = verdict(result)
    rasa_speedups.install()
    assert RemoteAction._validate_action_result is rasa_speedups._validate_action_result
    assert verdict(result) == expected
    assert (expected is None) == (result in VALID)


def test_rejection_explains_where_to_look() -> None:
    rasa_speedups.install()
    message = verdict({"events": "not a list"})
    assert message is not None and "Failed to validate Action server response" in message


@pytest.mark.parametrize("name", ["slot", "user", "bot", "action", "restart", "followup",
                                  "session_started", "active_loop", "reset_slots"])
def test_event_types_resolve_to_rasas_classes(name: str, original: None) -> None:
    expected = Event.resolve_by_type(name)
    rasa_speedups.install()
    assert Event.resolve_by_type(name) is expected
    assert Event.resolve_by_type(name) is expected  # from the cache


def test_unknown_event_types_still_fail_or_default() -> None:
    rasa_speedups.install()
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
    assert Event.resolve_by_type("topic") is None


def test_stored_events_round_trip(original: None) -> None:
    rasa_speedups.install()
    events = [UserUttered("bonjour", {"name": "greet", "confidence": 0.9}),
              SlotSet("country", "MA"), ActionExecuted("action_greet"),
              BotUttered("Bonjour", {"language": "fr"})]
    assert [Event.from_parameters(e.as_dict()) for e in events] == events
