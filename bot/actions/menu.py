"""The greeting with its privacy notice, and the numbered menus."""

from __future__ import annotations

from bot.actions.base import BaseAction
from bot.actions.turn import Turn


def option_label(turn: Turn, choice: str) -> str:
    """Return how a numbered choice is shown ("topic:gbv" -> its title)."""
    kind, _, value = choice.partition(":")
    if kind == "topic":
        return turn.topic_title(value)
    if kind == "menu":
        return turn.message(f"menu_{value}") if value != "main" else turn.message("menu_back")
    if kind == "lang":
        return turn.content.language_names[value]
    if kind == "country":
        return turn.content.country_name(value, turn.language)
    if kind == "sub":
        return turn.message(f"subscribe_topic_{value}")
    return turn.message("did_you_mean_other")


def show_menu(turn: Turn, name: str = "main") -> None:
    """Send menu `name` as a numbered list ("reply 1-6")."""
    items = turn.content.menus[name]
    title = turn.message("menu_title" if name == "main" else "submenu_title")
    footer = turn.message("menu_hint") if name == "main" else None
    turn.ask(title, [(item, option_label(turn, item)) for item in items], footer)


class ActionGreet(BaseAction):
    """Greet with a one-line privacy notice and the main menu."""

    def name(self) -> str:
        """Return the action name."""
        return "action_greet"

    def respond(self, turn: Turn) -> None:
        """Say hello, what we keep (nothing), and the menu."""
        turn.say(f"{turn.message('greeting')}\n{turn.message('privacy')}")
        show_menu(turn)


class ActionShowMenu(BaseAction):
    """Show the main menu (help, menu, start)."""

    def name(self) -> str:
        """Return the action name."""
        return "action_show_menu"

    def respond(self, turn: Turn) -> None:
        """Show the main menu."""
        show_menu(turn)
