"""Remember the country the person is in and finish the answer that needed it."""

from __future__ import annotations

from bot.actions.base import BaseAction
from bot.actions.menu import show_menu
from bot.actions.topics import ask_country, finish_pending_topic
from bot.actions.turn import Turn


def set_country(turn: Turn, country: str) -> None:
    """Set the country, then finish the waiting topic or confirm and show the menu."""
    turn.country = country
    if finish_pending_topic(turn):
        return
    name = turn.content.country_name(country, turn.language)
    turn.say(turn.message("country_set", country=name))
    show_menu(turn)


class ActionSetCountry(BaseAction):
    """Handle "I am in Tunisia", "je suis a Casa", "ana f lmghrib"."""

    def name(self) -> str:
        """Return the action name."""
        return "action_set_country"

    def respond(self, turn: Turn) -> None:
        """Set the country named in the message, or ask again from the list."""
        named = turn.entity("country")
        if named in turn.content.countries:
            set_country(turn, named)
        else:
            ask_country(turn, turn.pending_topic)
