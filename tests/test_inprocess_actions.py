"""Actions run in the Rasa process give Rasa what the action server would have sent."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection as SdkRejection

from bot import inprocess_actions, rasa_speedups
from bot.paths import REPO_ROOT

ENDPOINT = EndpointConfig(inprocess_actions.URL)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(REPO_ROOT / "domain.yml")


def tracker(domain: Domain, text: str, intent: str, language: str) -> DialogueStateTracker:
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.98}, "entities": [],
             "language": language, "language_confidence": 0.99,
             "language_method": "lexicon", "language_decisive": True}
    return DialogueStateTracker.from_events("pseudonym-1", [
        ActionExecuted("action_listen"),
        UserUttered(text, parse["intent"], [], parse_data=parse, message_id="m-1"),
    ], domain.slots)


async def run(name: str, domain: Domain, state: DialogueStateTracker) -> list[Any]:
    rasa_speedups.install()
    return await RemoteAction(name, ENDPOINT).run(
        CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses), state,
        domain)


async def test_an_action_answers_in_process_as_it_would_over_http(domain: Domain) -> None:
    state = tracker(domain, "Bonjour", "greet", "fr")
    events = await run("action_greet", domain, state)
    said = [e.text for e in events if isinstance(e, BotUttered)]
    assert said and all(isinstance(text, str) and text for text in said)
    assert SlotSet("language", "fr") in events
    # The action server's answer is the same action call and result through JSON.
    call = json.loads(json.dumps(RemoteAction("action_greet", ENDPOINT)
                                 ._action_call_format(state, domain)))
    wire = ActionExecutor()
    wire.register_package(inprocess_actions.PACKAGE)
    over_http = json.loads(json.dumps(await wire.run(call)))
    in_process = await inprocess_actions.run(
        RemoteAction("action_greet", ENDPOINT)._action_call_format(state, domain))
    assert in_process == over_http


async def test_an_unknown_action_fails_as_a_404_would(domain: Domain) -> None:
    with pytest.raises(RasaException) as raised:
        await run("action_nobody_wrote", domain, tracker(domain, "hi", "greet", "en"))
    assert "action_nobody_wrote" in str(raised.value)


def rejecting(dispatcher: Any, tracker: Any, domain: Any) -> list[dict[str, Any]]:
    raise SdkRejection("action_test_rejects", "not now")


async def test_a_rejection_reaches_rasa_as_a_rejection(domain: Domain) -> None:
    # A function, not an `Action` subclass: rasa-sdk registers every subclass it can find.
    inprocess_actions.executor().register_function("action_test_rejects", rejecting)
    try:
        with pytest.raises(ActionExecutionRejection) as raised:
            await run("action_test_rejects", domain, tracker(domain, "hi", "greet", "en"))
        assert raised.value.action_name == "action_test_rejects"
    finally:
        inprocess_actions.executor().actions.pop("action_test_rejects", None)


async def test_other_endpoints_still_go_over_http() -> None:
    rasa_speedups.install()
    # Nothing listens on port 9 of loopback: the request is really attempted, and fails.
    with pytest.raises(Exception) as raised:
        await EndpointConfig("http://127.0.0.1:9/webhook").request(json={"next_action": "x"})
    assert "inprocess" not in str(raised.value)
    assert type(raised.value).__module__.startswith("aiohttp")
