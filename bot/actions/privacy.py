"""Delete my data: forget everything the conversation holds about the person."""

from __future__ import annotations

import logging

from rasa_sdk.events import AllSlotsReset, EventType, Restarted

from bot.actions.base import BaseAction
from bot.actions.turn import Turn
from bot.analytics import service

logger = logging.getLogger(__name__)


class ActionDeleteData(BaseAction):
    """Erase the conversation: its slots (language, country) and its history.

    The confirmation goes out in the person's language first; then `AllSlotsReset` and
    `Restarted` end the conversation. The tracker store (`bot.tracker_store`) drops every event
    before a restart when it saves, so no earlier message stays in memory or in Redis. Every
    analytics row keyed to the person is deleted (queued, spooled or stored; the deletion is
    queued behind the person's earlier events, so none is written after it), and this turn
    records no event. The channels delete the person's opt-out row, their subscription (with its
    encrypted address) and their broadcast delivery records.
    """

    records_turn = False

    def name(self) -> str:
        """Return the action name."""
        return "action_delete_data"

    def respond(self, turn: Turn) -> None:
        """Confirm the deletion; `forget` tells the channel to drop what it holds too."""
        try:
            service.current().forget(turn.conversation_id)
        except Exception as error:  # the person still gets the rest of the deletion
            logger.error("analytics: could not queue a deletion (%s)", type(error).__name__)
        turn.say(turn.message("data_deleted"), forget=True)

    def events(self, turn: Turn) -> list[EventType]:
        """Reset every slot and restart the conversation, whatever the turn changed."""
        return [AllSlotsReset(), Restarted()]
