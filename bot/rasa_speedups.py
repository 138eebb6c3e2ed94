"""Two hot spots of Rasa 3.6 that repeat the same work on every turn, done once instead.

1. The action-response schema.

`RemoteAction._validate_action_result` calls `jsonschema.validate(result, spec)`, and
`jsonschema.validate` first checks the *schema* against its meta-schema, every time. The spec
(Rasa's action-server response format, events included) never changes, yet that check was 68%
of the Rasa process's CPU under load (py-spy, bench/channels.py, 10 concurrent conversations).

`install()` replaces the method with one that checks the spec once, keeps the compiled
validator and validates each response against it, raising the same `ValidationError` (the
best-matching error, as `jsonschema.validate` does) with Rasa's own explanatory suffix. Every
response is still validated; only the repeated meta-schema check goes.

2. Event types. Loading a tracker from the tracker store turns each stored event into its class
with `Event.resolve_by_type`, which walks every subclass of `Event` per event (7% of the
process's CPU under the same load, growing with conversation length). The class found for a
type name is remembered; a name not found still goes through Rasa's own lookup, so unknown
names fail exactly as before.

Installed when `bot.tracker_store` is imported: `migrant-bot serve` and `chat` always
configure that tracker store, so Rasa imports it before the first turn.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event

_ORIGINAL = RemoteAction._validate_action_result
_ORIGINAL_RESOLVE = Event.resolve_by_type
_event_types: dict[str, type[Event]] = {}


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    spec = RemoteAction.action_response_format_spec()
    cls = validator_for(spec)
    cls.check_schema(spec)
    return cls(spec)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
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


def install() -> None:
    """Swap in the cached validator and event lookup (idempotent)."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]


def uninstall() -> None:
    """Put Rasa's own methods back (for tests that compare them)."""
    RemoteAction._validate_action_result = _ORIGINAL  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_ORIGINAL_RESOLVE)  # type: ignore[method-assign]
    _event_types.clear()

