"""The shared base of every action: read the turn, respond, record what changed."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.turn import Turn
from bot.analytics import service
from bot.analytics.definitions import classify_turn

logger = logging.getLogger(__name__)


class BaseAction(Action, ABC):
    """An action that answers from content in the turn's language.

    Subclasses implement `name` and `respond`; being abstract, this base is never registered by
    rasa-sdk's executor.
    """

    #: A successful answer ends a run of misunderstandings; the fallback action keeps it.
    resets_fallback = True
    #: Each turn is one analytics event; a deletion request records none.
    records_turn = True

    @abstractmethod
    def name(self) -> str:
        """Return the action's name as the domain lists it."""

    @abstractmethod
    def respond(self, turn: Turn) -> None:
        """Say what this action says, updating `turn`'s state."""

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        """Build the turn, respond, and return the events that record the new state."""
        turn = Turn.from_tracker(tracker, dispatcher)
        self.respond(turn)
        if self.resets_fallback:
            turn.fallback_count = 0
        if self.records_turn:
            record_turn(turn)
        return self.events(turn)

    def events(self, turn: Turn) -> list[EventType]:
        """Return the events that record what the turn changed."""
        return turn.final_events()


def record_turn(turn: Turn) -> None:
    """Queue the turn's analytics event; a failure is logged and never reaches the person."""
    try:
        topic, outcome = classify_turn(turn.intent, turn.answered, turn.unanswered)
        analytics = service.current()
        analytics.record_turn(
            turn.conversation_id,
            channel=service.channel_of(turn.input_channel, turn.conversation_id),
            language=turn.language, country=turn.country, topic=topic, outcome=outcome,
            message_id=turn.message_id)
    except Exception as error:  # recording must never break a conversation
        logger.error("analytics: could not record a turn (%s)", type(error).__name__)
