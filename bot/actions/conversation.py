"""Goodbye, thanks, and "are you a robot?"."""

from __future__ import annotations

from bot.actions.base import BaseAction
from bot.actions.turn import Turn

SMALL_TALK = ("goodbye", "thank", "bot_challenge")


class ActionSmallTalk(BaseAction):
    """Answer goodbye, thank and bot_challenge with their sentence from content."""

    def name(self) -> str:
        """Return the action name."""
        return "action_small_talk"

    def respond(self, turn: Turn) -> None:
        """Say the sentence of the intent."""
        turn.say(turn.message(turn.intent if turn.intent in SMALL_TALK else "affirm"))
