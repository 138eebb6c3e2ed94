"""Tracker stores that forget a conversation's history when it is restarted.

Conversations live in memory by default, or in Redis with an expiry (`record_exp`). When a
person deletes their data, `action_delete_data` ends with a `Restarted` event; on the next save
these stores keep only the events after the last restart, so the earlier messages are gone from
memory or Redis, not just hidden.
"""

from __future__ import annotations

import copy
from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore
from rasa.shared.core.events import Restarted
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_speedups

rasa_speedups.install()


def forget_before_restart(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """Return `tracker` without the events before its last restart."""
    events = list(tracker.events)
    restarts = [index for index, event in enumerate(events) if isinstance(event, Restarted)]
    if not restarts:
        return tracker
    slots = [copy.deepcopy(slot) for slot in tracker.slots.values()]
    for slot in slots:
        slot.reset()
    return DialogueStateTracker.from_events(
        tracker.sender_id, events[restarts[-1] + 1:], slots=slots
    )


def _warm_up_actions(kwargs: dict[str, Any]) -> None:
    # `serve` sets this in the store's endpoint config when the actions run in this process.
    if kwargs.pop("inprocess_actions", False):
        from bot import inprocess_actions

        inprocess_actions.warm_up()


class ForgetfulInMemoryTrackerStore(InMemoryTrackerStore):
    """Rasa's in-memory store, forgetting history before a restart."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _warm_up_actions(kwargs)
        super().__init__(*args, **kwargs)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Save the tracker without what came before its last restart."""
        await super().save(forget_before_restart(tracker))


class ForgetfulRedisTrackerStore(RedisTrackerStore):
    """Rasa's Redis store (with `record_exp`), forgetting history before a restart."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _warm_up_actions(kwargs)
        super().__init__(*args, **kwargs)

    async def save(self, tracker: DialogueStateTracker, timeout: Any = None) -> None:
        """Save the tracker without what came before its last restart."""
        await super().save(forget_before_restart(tracker), timeout)
