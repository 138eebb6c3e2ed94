"""Tracker stores that forget a conversation's history when it is restarted.

Conversations live in memory by default, or in Redis with an expiry (`record_exp`), encrypted
there (Fernet, with a key derived from `PSEUDONYM_KEY`, or the installation's key file when it
is unset): Redis is shared by every server and may be another machine, and a conversation
holds what the person wrote. When a person deletes their data, `action_delete_data` ends with a
`Restarted` event; on the next save these stores keep only the events after the last restart,
so the earlier messages are gone from memory or Redis, not just hidden.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import logging
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore
from rasa.shared.core.events import Restarted
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_speedups

rasa_speedups.install()

logger = logging.getLogger(__name__)


def tracker_key() -> bytes:
    """Return the Fernet key of conversations in Redis, derived from the installation's key."""
    from bot.analytics.person import analytics_key
    from bot.settings import get_settings

    settings = get_settings()
    secret = analytics_key(settings.pseudonym_key, settings.analytics_key_file)
    digest = hmac.new(secret, b"migrant-bot tracker encryption v1", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest)


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
    """Rasa's Redis store (with `record_exp`), encrypted, forgetting history before a restart."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _warm_up_actions(kwargs)
        super().__init__(*args, **kwargs)
        self._fernet = Fernet(tracker_key())

    def serialise_tracker(self, tracker: DialogueStateTracker) -> str:  # type: ignore[override]
        """Serialise as Rasa does, then encrypt."""
        plain = super().serialise_tracker(tracker)
        return self._fernet.encrypt(plain.encode()).decode()

    def deserialise_tracker(self, sender_id: str, serialised_tracker: str | bytes
                            ) -> DialogueStateTracker | None:
        """Decrypt, then deserialise as Rasa does; one of another key starts afresh."""
        token = (serialised_tracker if isinstance(serialised_tracker, bytes)
                 else serialised_tracker.encode())
        try:
            plain = self._fernet.decrypt(token)
        except InvalidToken:
            logger.warning("A conversation in Redis could not be read (another key); "
                           "it starts afresh")
            return None
        return super().deserialise_tracker(sender_id, plain)

    async def save(self, tracker: DialogueStateTracker, timeout: Any = None) -> None:
        """Save the tracker without what came before its last restart."""
        await super().save(forget_before_restart(tracker), timeout)
