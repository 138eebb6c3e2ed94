"""Subscribing to health alerts and stopping them, from the conversation.

"I want alerts" gets a consent sentence first (what they will get, that their number or chat
is kept encrypted only to send them, how to stop), then the topics as a numbered choice;
choosing one is the consent. Only the channel edge knows the address, so the confirmation
carries a `subscribe` flag that the channel acts on (`bot.channels.base`); the actions
never receive the address. "Stop the alerts" carries an `unsubscribe` flag: the channel deletes
the subscription, address included, and records the opt-out.

Where there is nothing to subscribe with (no `SUBSCRIBER_KEY`, or a channel that cannot be
written to later, such as the REST API or the terminal), the assistant says alerts are not
available here.
"""

from __future__ import annotations

from bot.actions.turn import Turn
from bot.content.render import topic_answer
from bot.settings import get_settings
from bot.subscriptions import TOPICS

#: Channels a broadcast can reach.
BROADCAST_CHANNELS = ("telegram", "sms", "whatsapp")
ALL = "all"


def subscriptions_available(turn: Turn) -> bool:
    """Return True when this person can subscribe on the channel they write on."""
    return (get_settings().subscriber_key is not None
            and turn.input_channel in BROADCAST_CHANNELS)


def stop_word(turn: Turn) -> str:
    """Return how the person stops alerts on their channel."""
    return "/stop" if turn.input_channel == "telegram" else "STOP"


def offer_subscription(turn: Turn) -> None:
    """Explain what subscribing means, then ask which alerts they want."""
    turn.answered.append("subscribe")
    if not subscriptions_available(turn):
        turn.say(topic_answer(turn.content, "subscribe", turn.language, turn.country).text)
        return
    turn.say(turn.message("subscribe_consent", stop=stop_word(turn)))
    options = [(f"sub:{topic}", subscription_label(turn, topic)) for topic in (*TOPICS, ALL)]
    turn.ask(turn.message("subscribe_choose"), options)


def subscription_label(turn: Turn, topic: str) -> str:
    """Return the label of an alert topic ("all" for every topic)."""
    return turn.message(f"subscribe_topic_{topic}")


def subscribe(turn: Turn, choice: str) -> None:
    """Confirm a chosen alert topic; the channel stores the subscription."""
    if choice != ALL and choice not in TOPICS or not subscriptions_available(turn):
        turn.unanswered = True
        turn.say(turn.message("rephrase"))
        return
    topics = list(TOPICS) if choice == ALL else [choice]
    turn.answered.append("subscribe")
    turn.dispatcher.utter_message(
        text=turn.message("subscribed", stop=stop_word(turn), topics=", ".join(
            subscription_label(turn, topic) for topic in topics)),
        language=turn.language,
        subscribe={"topics": topics, "language": turn.language, "country": turn.country},
    )


def unsubscribe(turn: Turn) -> None:
    """Stop every alert; the channel deletes the subscription and records the opt-out."""
    turn.answered.append("unsubscribe")
    text = topic_answer(turn.content, "unsubscribe", turn.language, turn.country).text
    turn.dispatcher.utter_message(text=text, language=turn.language, unsubscribe=True)
