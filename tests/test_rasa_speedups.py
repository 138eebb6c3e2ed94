"""The cached action-response validator accepts and rejects exactly what Rasa's own does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

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


def _events_of_every_kind() -> list[dict]:
    from rasa.shared.core import events as e

    return [event.as_dict() for event in [
        UserUttered("hola", {"name": "greet", "confidence": 0.9}, message_id="m1"),
        BotUttered("Hola", {"custom": {"language": "es"}}), SlotSet("country", None),
        ActionExecuted("action_listen"), e.Restarted(), e.AllSlotsReset(), e.SessionStarted(),
        e.ActiveLoop("form"), e.ActiveLoop(None), e.FollowupAction("action_listen"),
        e.ActionExecutionRejected("action_x"), e.ReminderCancelled("r"), e.ConversationPaused(),
        e.ConversationResumed(), e.UserUtteranceReverted(), e.ActionReverted(),
        e.LoopInterrupted(True), e.EntitiesAdded([{"entity": "city", "value": "Tanger"}]),
        e.AgentUttered("x"), e.StoryExported()]]


def _mutations(event: dict) -> list[dict]:
    """Return wrong versions of an event: each field given a value of the wrong type."""
    wrong = []
    for field in event:
        for value in (7, "text", None, [], {"a": 1}):
            if value != event[field]:
                wrong.append({**event, field: value})
    wrong.append({k: v for k, v in event.items() if k != "event"})
    return wrong


def test_quick_check_agrees_with_the_whole_spec_on_every_event_kind() -> None:
    """The per-branch shortcut accepts exactly what Rasa's full `oneOf` schema accepts."""
    full = rasa_speedups._response_validator()
    payloads = [*VALID, *INVALID, {"events": [5]}, {"events": [{"event": 5}]}, {"events": None},
                {"responses": "no"}, {"responses": [3]}, []]
    for event in _events_of_every_kind():
        payloads.append({"events": [event]})
        payloads += [{"events": [event, wrong]} for wrong in _mutations(event)]
    accepted = 0
    for payload in payloads:
        assert rasa_speedups._is_valid(payload) == full.is_valid(payload), payload
        accepted += full.is_valid(payload)
    # Both verdicts occur many times, so the agreement says something.
    assert 20 < accepted < len(payloads) - 100


TEXTS = ["hello", "is the hospital free?", "2", "je suis enceinte", "مرحبا، بغيت طبيب",
         "estoy en Tanger", "stop", "where can I get condoms in sfax", "", "asdfgh qwerty"]


async def _decisions(agent: Any) -> list[tuple[dict, str | None, list[float]]]:
    """Parse each text, then predict the next action after it, as a turn does."""
    found = []
    for text in TEXTS:
        parse = await agent.parse_message(text)
        tracker = DialogueStateTracker.from_events("speedups", [
            ActionExecuted("action_listen"),
            UserUttered(text, parse["intent"], parse["entities"], parse)], agent.domain.slots)
        prediction = agent.processor._predict_next_with_tracker(tracker)
        found.append((parse, prediction.policy_name, prediction.probabilities))
    return found


async def test_the_graph_runner_and_diet_call_decide_as_rasas_own_do(model: Path) -> None:
    agent = Agent.load(str(model))
    rasa_speedups.uninstall()
    try:
        expected = await _decisions(agent)
    finally:
        rasa_speedups.install()
    assert DaskGraphRunner.run is rasa_speedups._run_graph
    assert await _decisions(agent) == expected
    # DIET was called through its traced graph directly, with the same confidences.
    diet = [node for node in agent.processor.graph_runner._instantiated_nodes.values()
            if isinstance(node._component, DIETClassifier)]
    assert diet and all(isinstance(node._component.model._tf_predict_step,
                                   rasa_speedups._TracedPredict) for node in diet)
    intents = {parse["intent"]["name"] for parse, _, _ in expected}
    assert "greet" in intents and len(intents) >= 6, intents


async def test_an_input_named_like_a_node_is_refused(model: Path) -> None:
    agent = Agent.load(str(model))
    rasa_speedups.install()
    runner = agent.processor.graph_runner
    target = max(runner._graph_schema.nodes,
                 key=lambda name: len(rasa_speedups._plan(runner._graph_schema, (name,))))
    needed = rasa_speedups._plan(runner._graph_schema, (target,))[0][0]
    with pytest.raises(GraphRunError):
        runner.run(inputs={"__message__": needed}, targets=[target])


def test_the_direct_call_gives_the_traced_answer_and_leaves_odd_inputs_to_tensorflow() -> None:
    import numpy as np
    import tensorflow as tf

    function = tf.function(
        lambda batch: {"sum": tf.reduce_sum(batch[0]) + tf.cast(tf.reduce_sum(batch[1]),
                                                                 tf.float32)},
        input_signature=[[tf.TensorSpec([None], tf.float32),
                          tf.TensorSpec([None, 3], tf.int64)]])
    direct = rasa_speedups._TracedPredict(function)
    batch = (np.array([1.5, 2.0], np.float32), np.ones((2, 3), np.int64))
    assert float(direct(batch)["sum"]) == float(function(batch)["sum"]) == 9.5
    for odd in [(np.array([1.5], np.float64), np.ones((2, 3), np.int64)),  # dtype
                (np.array([1.5], np.float32), np.ones((2, 4), np.int64)),  # shape
                (np.array([1.5], np.float32),)]:  # count
        assert outcome(direct, odd) == outcome(function, odd)


def outcome(call: Any, batch: Any) -> object:
    """Return what `call(batch)` gives: the sum, or the type of the error it raises."""
    try:
        return float(call(batch)["sum"])
    except Exception as error:  # compared, not hidden: each side must raise the same
        return type(error)
