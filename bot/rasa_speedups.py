"""Hot spots of Rasa 3.6 that repeat the same work on every turn, done once or more cheaply.

1. The action-response schema.

`RemoteAction._validate_action_result` calls `jsonschema.validate(result, spec)`, and
`jsonschema.validate` first checks the *schema* against its meta-schema, every time. The spec
(Rasa's action-server response format, events included) never changes, yet that check was 68%
of the Rasa process's CPU under load (py-spy, bench/channels.py, 10 concurrent conversations).
With the check done once, validating each event against all 23 event schemas of the spec's
`oneOf` still took 6% of the process's CPU.

`install()` replaces the method with one that checks the spec once and keeps compiled
validators. Every branch of the events' `oneOf` fixes `event` to a different constant, so an
event matches at most one branch: the one its `event` names. A response is valid exactly when
it passes the spec without that `oneOf` and each event passes the branch its `event` names,
which is what is checked. A response that fails goes through the whole spec again, and the
`ValidationError` raised is the same one (the best-matching error, as `jsonschema.validate`
raises) with Rasa's own explanatory suffix. Every response is still validated.

2. Event types. Loading a tracker from the tracker store turns each stored event into its class
with `Event.resolve_by_type`, which walks every subclass of `Event` per event (7% of the
process's CPU under the same load, growing with conversation length). The class found for a
type name is remembered; a name not found still goes through Rasa's own lookup, so unknown
names fail exactly as before.

3. Custom actions in process: a request to the action endpoint `inprocess://bot.actions` runs
the action in this process (`bot.inprocess_actions`); any other endpoint goes over HTTP as
before.

4. The graph runner. Rasa runs its NLU pipeline and its policies as a graph of components, twice
a turn, through `DaskGraphRunner.run`: it recomputes which nodes the targets need (walking the
schema again), builds a dask task graph, formats every input into a debug message (the whole
tracker, whether or not debug logging is on) and lets dask's scheduler run the tasks one by
one. That machinery was 10% of the process's CPU for graphs of about fifteen nodes. `run` now
works out, once per set of targets, the nodes needed in an order where each comes after the
nodes it needs, and calls them in that order with the same arguments dask would pass (each
input's `(name, output)` pair, or the bare name of a need nobody provides); inputs replace
nodes of the same name, as they do in the dask graph. The results and the errors are the ones
dask gives (a `RuntimeError` becomes Rasa's `GraphRunError`); the debug line goes, and with it
a copy of message text that only reached a log at debug level.

5. The DIET prediction call. Rasa traces DIET's prediction step once as a `tf.function` with a
fixed input signature, then calls it each turn; TensorFlow then canonicalises the inputs and
looks the trace up again on every call, which cost three times the graph's own run (11% of
the process's CPU). After Rasa has traced it, the call goes straight to that one traced graph
(the signature's only concrete function) with the same tensors. An input of another dtype,
shape or count goes through the `tf.function` as before, which raises as it always did.

Installed when `bot.tracker_store` is imported: `migrant-bot serve` and `chat` always
configure that tracker store, so Rasa imports it before the first turn.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

import tensorflow as tf
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.utils.endpoints import EndpointConfig
from rasa.utils.tensorflow.models import RasaModel

from bot import inprocess_actions

_ORIGINAL = RemoteAction._validate_action_result
_ORIGINAL_RESOLVE = Event.resolve_by_type
_ORIGINAL_REQUEST = EndpointConfig.request
_ORIGINAL_RUN = DaskGraphRunner.run
_ORIGINAL_PREDICT = RasaModel._rasa_predict
_event_types: dict[str, type[Event]] = {}


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    spec = RemoteAction.action_response_format_spec()
    cls = validator_for(spec)
    cls.check_schema(spec)
    return cls(spec)


@lru_cache(maxsize=1)
def _quick_validators() -> tuple[Any, dict[str, Any]]:
    """Return a validator of the spec without the events' `oneOf`, and one per branch."""
    spec = copy.deepcopy(RemoteAction.action_response_format_spec())
    item = spec["properties"]["events"]["items"]
    cls = validator_for(spec)
    branches: dict[str, Any] = {}
    for branch in item.pop("oneOf"):
        name = branch["properties"]["event"]["const"]
        if name in branches:  # not a discriminated union after all: no shortcut
            raise ValueError(f"two event schemas for {name}")
        branches[name] = cls(branch)
    return cls(spec), branches


def _is_valid(result: Any) -> bool:
    outer, branches = _quick_validators()
    if not outer.is_valid(result):
        return False
    for event in result.get("events") or ():
        branch = branches.get(event["event"])  # `outer` checked it is a dict with a string
        if branch is None or not branch.is_valid(event):
            return False
    return True


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    if _is_valid(result):
        return True
    error = best_match(_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, "
        "make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def _resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    found = _event_types.get(type_name)
    if found is None:
        # Rasa's own walk over the subclasses; it raises for unknown names without a default.
        found = _ORIGINAL_RESOLVE(type_name, default)
        if found is not None and getattr(found, "type_name", None) == type_name:
            _event_types[type_name] = found
    return found


class _TracedPredict:
    """DIET's traced prediction step, called without the `tf.function` dispatch."""

    def __init__(self, function: Any) -> None:
        self.function = function
        self.concrete = function.get_concrete_function()
        self.specs = self.concrete.structured_input_signature[0][0]

    def __call__(self, batch_in: Any) -> Any:
        if len(batch_in) != len(self.specs):
            return self.function(batch_in)
        tensors = []
        for value, spec in zip(batch_in, self.specs, strict=True):
            tensor = tf.convert_to_tensor(value)
            if tensor.dtype != spec.dtype or not spec.shape.is_compatible_with(tensor.shape):
                return self.function(batch_in)
            tensors.append(tensor)
        return self.concrete._call_flat(tensors, self.concrete.captured_inputs)


def _rasa_predict(self: RasaModel, batch_in: Any) -> Any:
    step = self._tf_predict_step
    if step is not None and not isinstance(step, _TracedPredict) and not self._run_eagerly:
        self._tf_predict_step = _TracedPredict(step)
    return _ORIGINAL_PREDICT(self, batch_in)


def _plan(schema: GraphSchema, targets: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
    """Return the nodes `targets` need, each after its needs, with the names it needs."""
    order: list[tuple[str, tuple[str, ...]]] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen or name not in schema.nodes:  # done, or an input placeholder
            return
        seen.add(name)
        needs = tuple(schema.nodes[name].needs.values())
        for need in needs:
            visit(need)
        order.append((name, needs))

    for target in targets:
        visit(target)
    return order


def _run_graph(self: DaskGraphRunner, inputs: dict[str, Any] | None = None,
               targets: list[str] | None = None) -> dict[str, Any]:
    run_targets = tuple(targets if targets else self._graph_schema.target_names)
    plans = self.__dict__.setdefault("_bot_plans", {})
    plan = plans.get(run_targets)
    if plan is None:
        plan = plans[run_targets] = _plan(self._graph_schema, run_targets)
    values: dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and any(value == node for node, _ in plan):
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure that none of the "
                f"input names passed to the `run` method are the same as node names in the "
                f"graph schema.")
        values[name] = (name, value)
    try:
        for name, needs in plan:
            if name not in values:
                values[name] = self._instantiated_nodes[name](*(values.get(n, n) for n in needs))
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error
    return dict(values[target] for target in run_targets)


async def _request(self: EndpointConfig, method: str = "post", subpath: str | None = None,
                   content_type: str | None = "application/json", compress: bool = False,
                   **kwargs: Any) -> Any:
    if self.url == inprocess_actions.URL:
        return await inprocess_actions.run(kwargs["json"])
    return await _ORIGINAL_REQUEST(self, method, subpath, content_type, compress, **kwargs)


def install() -> None:
    """Swap in the cached validator, event lookup, in-process actions, the sequential graph
    runner and the direct DIET call (idempotent)."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]
    EndpointConfig.request = _request  # type: ignore[method-assign]
    DaskGraphRunner.run = _run_graph  # type: ignore[method-assign]
    RasaModel._rasa_predict = _rasa_predict  # type: ignore[method-assign]


def uninstall() -> None:
    """Put Rasa's own methods back (for tests that compare them); models that already
    predicted keep their direct call."""
    RemoteAction._validate_action_result = _ORIGINAL  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_ORIGINAL_RESOLVE)  # type: ignore[method-assign]
    EndpointConfig.request = _ORIGINAL_REQUEST  # type: ignore[method-assign]
    DaskGraphRunner.run = _ORIGINAL_RUN  # type: ignore[method-assign]
    RasaModel._rasa_predict = _ORIGINAL_PREDICT  # type: ignore[method-assign]
    _event_types.clear()

