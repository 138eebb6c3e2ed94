"""Answer a topic from content, ask for the country once when the answer depends on it."""

from __future__ import annotations

from bot.actions.base import BaseAction
from bot.actions.directory import PENDING_PREFIX, TOPIC_SERVICES, offer_services
from bot.actions.menu import ask_country, offer_next, show_menu
from bot.actions.subscriptions import offer_subscription, unsubscribe
from bot.actions.turn import Turn
from bot.content import TOPIC_INTENTS
from bot.content.render import country_part, emergency_numbers_all, topic_answer

__all__ = ["ActionAnswerTopic", "answer_topic", "ask_country", "finish_pending_topic",
           "offer_next"]


def after_answer(turn: Turn, topic: str) -> None:
    """Follow a complete answer with where to go (the directory), else the next steps.

    A topic with services whose country is not known yet (contraception, HIV: their answer does
    not depend on the country) offers "where to go" as the first next step.
    """
    if offer_services(turn, topic):
        return
    first: list[tuple[str, str]] = []
    if turn.country is None and topic in TOPIC_SERVICES:
        first.append((f"dir:{topic}", turn.message("directory_where")))
    offer_next(turn, topic, first)


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
    after_answer(turn, topic)


def finish_pending_topic(turn: Turn) -> bool:
    """Finish what waited for the country (or the city); False if nothing waited.

    A topic gets its country part, then where to go; a "where to go" question ("dir:<topic>")
    gets the services.
    """
    topic = turn.pending_topic
    if not topic or not turn.country:
        return False
    if topic.startswith(PENDING_PREFIX):
        topic = topic.removeprefix(PENDING_PREFIX)
        if topic not in TOPIC_SERVICES:
            return False
        turn.pending_topic = None
        if not offer_services(turn, topic):
            offer_next(turn, topic)
        return True
    if topic not in turn.content.topics:
        return False
    text = country_part(turn.content, topic, turn.language, turn.country)
    if text:
        turn.say(text)
        turn.answered.append(topic)
    turn.pending_topic = None
    after_answer(turn, topic)
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
