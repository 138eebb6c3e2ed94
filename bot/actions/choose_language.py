"""Switch the reply language when the person asks for one."""

from __future__ import annotations

from bot.actions.base import BaseAction
from bot.actions.menu import option_label, show_menu
from bot.actions.turn import Turn


def ask_language(turn: Turn) -> None:
    """Ask which language, listing each one in its own name."""
    options = [(f"lang:{code}", option_label(turn, f"lang:{code}"))
               for code in turn.content.languages]
    turn.ask(turn.message("ask_language"), options)


def set_language(turn: Turn, code: str) -> None:
    """Switch to `code`, confirm in that language and show the menu in it."""
    turn.language = code
    turn.say(turn.message("language_set"))
    show_menu(turn)


class ActionSetLanguage(BaseAction):
    """Handle "I want French", "بالعربية من فضلك", "habla espanol?"."""

    def name(self) -> str:
        """Return the action name."""
        return "action_set_language"

    def respond(self, turn: Turn) -> None:
        """Switch to the named language, say so for one we cannot write yet, or ask."""
        mention = next((e for e in turn.entities if e.get("entity") == "language"), None)
        if mention is None:
            ask_language(turn)
        elif mention.get("value") in turn.content.languages:
            set_language(turn, mention["value"])
        else:
            turn.say(turn.message("language_unsupported",
                                  language=str(mention.get("text") or mention.get("value"))))
            ask_language(turn)
