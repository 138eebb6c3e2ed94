"""Voice notes, photos, stickers and empty messages, which the channels cannot read."""

from __future__ import annotations

from bot.actions.base import BaseAction
from bot.actions.menu import show_menu
from bot.actions.turn import Turn


class ActionUnsupportedMedia(BaseAction):
    """Say, in the person's language, that the assistant reads text.

    The channels send the intent `unsupported_media` with the kind of media in the `media`
    entity ("voice", "photo", ..., "empty" for a message with nothing in it). The language is
    the conversation's, or the channel's hint (Telegram's language_code) for a first message.
    """

    resets_fallback = False

    def name(self) -> str:
        """Return the action name."""
        return "action_unsupported_media"

    def respond(self, turn: Turn) -> None:
        """Ask for words; an empty message gets the menu as well."""
        if turn.entity("media") == "empty":
            turn.say(turn.message("empty_message"))
            show_menu(turn)
        else:
            turn.say(turn.message("unsupported_media"))
