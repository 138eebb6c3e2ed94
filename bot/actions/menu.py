"""The greeting with its privacy notice, and the numbered menus."""

from __future__ import annotations

from bot.actions.base import BaseAction
from bot.actions.turn import Turn
from bot.content.render import city_name


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
    if kind == "city" and turn.country:
        if value not in turn.content.countries[turn.country].cities:
            return turn.message("directory_city_other")
        return city_name(turn.content, turn.country, value, turn.language)
    if kind == "dir":
        return (turn.message("directory_more", count="+") if value.count(":") == 2
                else turn.message("directory_where"))
    return turn.message("did_you_mean_other")


def ask_country(turn: Turn, topic: str | None) -> None:
    """Ask which country the person is in, remembering the topic to finish afterwards."""
    turn.pending_topic = topic
    options = [(f"country:{name}", option_label(turn, f"country:{name}"))
               for name in turn.content.countries]
    turn.ask(turn.message("ask_country"), options)


def offer_next(turn: Turn, topic: str, first: list[tuple[str, str]] | None = None) -> None:
    """Offer the next useful steps after an answer, as a numbered list.

    `first` are choices that come before the topic's own next steps, such as "more services".
    """
    following = [name for name in turn.content.topics[topic].next if name in turn.content.topics]
    if not following and not first:
        show_menu(turn)
        return
    options = list(first or [])
    options += [(f"topic:{name}", turn.topic_title(name)) for name in following]
    options.append(("menu:main", turn.message("menu_back")))
    turn.ask(turn.message("next_title"), options)


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
