"""Run the custom actions inside each Rasa process instead of over HTTP.

Rasa 3.6 runs a custom action by posting the whole tracker (every event of the conversation)
and the domain as JSON to the rasa-sdk action server, which parses it, runs the action and
sends JSON back; Rasa then validates that JSON against its schema and parses it again. Our
actions take about 0.1 ms; the round trip took about 10 ms of CPU a turn across the two
processes (bench/channels.py, py-spy), a quarter of all the work of a turn.

`migrant-bot serve` therefore points Rasa's action endpoint at `inprocess://bot.actions`.
`bot.rasa_speedups` routes requests to that URL here: the same rasa-sdk `ActionExecutor` the
action server uses runs the action on the same action call (the dict Rasa would have sent),
and its answer goes back to Rasa as if it had come over HTTP. Everything after is Rasa's own
code: the response is still validated, a rejection is still a 400, an unknown action a 404.
What the action server adds beyond that (Sanic, CORS, gzip, auto-reload) has no use on one
machine. `serve --action-port N` still runs the separate action server, for a deployment
that wants actions in their own process.

Actions run on the Rasa process's event loop, so they must not block: ours read content held
in memory and queue analytics for a writer thread (`bot.analytics.recorder`).
"""

from __future__ import annotations

import json
from typing import Any

from rasa.utils.endpoints import ClientResponseError
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

#: The action endpoint URL that means "run the actions of this package in this process".
URL = "inprocess://bot.actions"
PACKAGE = "bot.actions"

_executor: ActionExecutor | None = None


def executor() -> ActionExecutor:
    """Return this process's executor, with every action of the package registered."""
    global _executor
    if _executor is None:
        found = ActionExecutor()
        found.register_package(PACKAGE)
        _executor = found
    return _executor


def warm_up() -> None:
    """Build the executor and load the content now, before the server takes a message.

    Done lazily, the first person to write to each Rasa process waited about 1.8 s for the
    actions to be imported and the content read. The tracker store calls this when Rasa loads
    it (`bot.tracker_store`), which Rasa does before it starts serving.
    """
    from bot.content import cached_content
    from bot.settings import get_settings

    executor()
    cached_content(str(get_settings().content_dir))


async def run(action_call: dict[str, Any]) -> dict[str, Any]:
    """Run one action call; answer or fail as the action server would over HTTP."""
    try:
        result = await executor().run(action_call)
    except ActionExecutionRejection as error:
        raise ClientResponseError(400, "Bad Request", json.dumps(
            {"error": error.message, "action_name": error.action_name})) from error
    except ActionNotFoundException as error:
        raise ClientResponseError(404, "Not Found", json.dumps(
            {"error": error.message, "action_name": error.action_name})) from error
    # The executor answers None only to a call without an action; Rasa always names one.
    return result if result is not None else {"events": [], "responses": []}
