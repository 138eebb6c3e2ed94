"""Answer a topic from content, ask for the country once when the answer depends on it."""

from __future__ import annotations

from bot.actions.base import BaseAction
from bot.actions.menu import option_label, show_menu
from bot.actions.subscriptions import offer_subscription, unsubscribe
from bot.actions.turn import Turn
from bot.content import TOPIC_INTENTS
from bot.content.render import country_part, emergency_numbers_all, topic_answer


def ask_country(turn: Turn, topic: str | None) -> None:
    """Ask which country the person is in, remembering the topic to finish afterwards."""
    turn.pending_topic = topic
    options = [(f"country:{name}", option_label(turn, f"country:{name}"))
               for name in turn.content.countries]
    turn.ask(turn.message("ask_country"), options)


def offer_next(turn: Turn, topic: str) -> None:
    """Offer the next useful steps after an answer, as a numbered list."""
    following = [name for name in turn.content.topics[topic].next if name in turn.content.topics]
    if not following:
        show_menu(turn)
        return
    options = [(f"topic:{name}", turn.topic_title(name)) for name in following]
    options.append(("menu:main", turn.message("menu_back")))
    turn.ask(turn.message("next_title"), options)


def answer_topic(turn: Turn, topic: str) -> None:
    """Answer `topic` in the turn's language for the turn's country.

    An emergency gets its numbers at once: for the person's country when known, for every
    country otherwise, and only then the question of where they are.
    """
    if topic == "subscribe":
        offer_subscription(turn)
        return
    if topic == "unsubscribe":
        unsubscribe(turn)
        offer_next(turn, topic)
        return
    answer = topic_answer(turn.content, topic, turn.language, turn.country)
    turn.answered.append(topic)
    if topic == "emergency" and answer.country_missing:
        turn.say(f"{answer.text}\n{emergency_numbers_all(turn.content, turn.language)}")
        ask_country(turn, topic)
        return
    turn.say(answer.text)
    if answer.country_missing:
        ask_country(turn, topic)
        return
    turn.pending_topic = None
    offer_next(turn, topic)


def finish_pending_topic(turn: Turn) -> bool:
    """Give the country part of the topic that waited for the country; False if none waited."""
    topic = turn.pending_topic
    if not topic or topic not in turn.content.topics or not turn.country:
        return False
    text = country_part(turn.content, topic, turn.language, turn.country)
    if text:
        turn.say(text)
        turn.answered.append(topic)
    turn.pending_topic = None
    offer_next(turn, topic)
    return True


class ActionAnswerTopic(BaseAction):
    """Answer the topic intent of the message."""

    def name(self) -> str:
        """Return the action name."""
        return "action_answer_topic"

    def respond(self, turn: Turn) -> None:
        """Answer the intent as a topic; anything else gets the menu."""
        if turn.intent in TOPIC_INTENTS and turn.intent in turn.content.topics:
            answer_topic(turn, turn.intent)
        else:
            show_menu(turn)
