"""The shared base of every action: read the turn, respond, record what changed."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.turn import Turn


class BaseAction(Action, ABC):
    """An action that answers from content in the turn's language.

    Subclasses implement `name` and `respond`; being abstract, this base is never registered by
    the action server.
    """

    #: A successful answer ends a run of misunderstandings; the fallback action keeps it.
    resets_fallback = True

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
        return self.events(turn)

    def events(self, turn: Turn) -> list[EventType]:
        """Return the events that record what the turn changed."""
        return turn.final_events()
