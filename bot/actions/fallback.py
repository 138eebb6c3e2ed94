"""What happens when the assistant did not understand, and numbered replies.

A bare number ("2") answers the last numbered question; with no question pending it picks from
the main menu. A message without words gets the menu. Otherwise the fallback has two stages:
first "Did you mean ...?" with the likeliest topics as numbered choices, then, if the next
message is not understood either, the menu and a human contact. If the likeliest topic is an
emergency, the emergency answer goes out at once instead: a wrong guess costs a few lines, a
missed emergency costs far more, unless the domain gate found no sign of one in the message
and no word of danger (then the question includes it). A message holding a word of danger that
points to a protection topic (`bot.nlu.risk.DANGER_TOPICS`) is asked about again at the second
stage instead of getting the menu: the NLU puts that topic among its choices.
"""

from __future__ import annotations

from bot.actions.base import BaseAction
from bot.actions.choose_country import set_country
from bot.actions.choose_language import set_language
from bot.actions.directory import resolve_directory_choice
from bot.actions.menu import option_label, show_menu
from bot.actions.subscriptions import subscribe
from bot.actions.topics import answer_topic
from bot.actions.turn import Turn
from bot.content import TOPIC_INTENTS
from bot.content.render import topic_answer
from bot.nlu.risk import danger_topics, danger_words, has_risk_word

MAX_SUGGESTIONS = 3
MIN_SUGGESTION_CONFIDENCE = 0.05
# Below the fallback threshold but still this likely: treat as an emergency.
EMERGENCY_OVERRIDE_CONFIDENCE = 0.2


def resolve_choice(turn: Turn, choice: str) -> None:
    """Carry out a numbered choice."""
    kind, _, value = choice.partition(":")
    if kind == "topic" and value in turn.content.topics:
        answer_topic(turn, value)
    elif kind == "menu" and value in turn.content.menus:
        show_menu(turn, value)
    elif kind == "lang" and value in turn.content.languages:
        set_language(turn, value)
    elif kind == "country" and value in turn.content.countries:
        set_country(turn, value)
    elif kind == "sub":
        subscribe(turn, value)
    elif kind in ("dir", "city") and resolve_directory_choice(turn, kind, value):
        pass
    else:
        turn.unanswered = True
        turn.say(turn.message("rephrase"))


def suggestions(turn: Turn) -> list[str]:
    """Return the likeliest topics of a message that was not understood."""
    found = []
    for ranked in turn.intent_ranking:
        name = ranked.get("name")
        if (name in TOPIC_INTENTS and name != "out_of_scope"
                and float(ranked.get("confidence") or 0) >= MIN_SUGGESTION_CONFIDENCE):
            found.append(name)
    return found[:MAX_SUGGESTIONS]


def _confidence(turn: Turn, intent: str) -> float:
    return next((float(r.get("confidence") or 0) for r in turn.intent_ranking
                 if r.get("name") == intent), 0.0)


class ActionHandleFallback(BaseAction):
    """Resolve numbered replies; otherwise run the two-stage fallback."""

    resets_fallback = False

    def name(self) -> str:
        """Return the action name."""
        return "action_handle_fallback"

    def respond(self, turn: Turn) -> None:
        """See the module docstring."""
        number = turn.entity("choice")
        if number is not None:
            self._numbered_reply(turn, int(number))
            return
        if not any(ch.isalnum() for ch in turn.text):
            turn.unanswered = True
            turn.fallback_count = 0
            turn.say(turn.message("empty_message"))
            show_menu(turn)
            return
        named = turn.entity("country")
        if turn.pending_topic and named in turn.content.countries:
            # The answer to "which country / which city?" that NLU did not read as such.
            turn.fallback_count = 0
            set_country(turn, named)
            return
        likely = suggestions(turn)
        turn.unanswered = True
        # The domain gate asks about an emergency it sees no sign of ("allons en ville"); a
        # message with a word of danger in it gets the emergency answer at once.
        asked = turn.domain_verdict == "ask" and not has_risk_word(turn.text)
        if likely and likely[0] == "emergency" and not asked and _confidence(
                turn, "emergency") >= EMERGENCY_OVERRIDE_CONFIDENCE:
            turn.fallback_count = 0
            answer_topic(turn, "emergency")
        elif likely and (turn.fallback_count == 0 or danger_topics(danger_words(turn.text))):
            # A second message not understood either gets the menu, unless it holds a word of
            # danger: then it is asked about again, its danger's topic among the choices.
            turn.fallback_count = 1
            options = [(f"topic:{name}", turn.topic_title(name)) for name in likely]
            options.append(("other", turn.message("did_you_mean_other")))
            turn.ask(turn.message("did_you_mean"), options)
        elif turn.fallback_count == 0:
            turn.fallback_count = 1
            turn.say(turn.message("rephrase"))
        else:
            turn.fallback_count = 0
            turn.say(turn.message("fallback_final"))
            human = topic_answer(turn.content, "human_help", turn.language, turn.country)
            turn.say(human.text)
            show_menu(turn)

    @staticmethod
    def _numbered_reply(turn: Turn, number: int) -> None:
        options = turn.choices or list(turn.content.menus["main"])
        if not 1 <= number <= len(options):
            turn.unanswered = True
            turn.say(turn.message("number_unknown"))
            turn.ask(turn.message("menu_title"),
                     [(choice, option_label(turn, choice)) for choice in options])
            return
        choice = options[number - 1]
        if choice != "other":
            turn.fallback_count = 0
        resolve_choice(turn, choice)


class ActionAffirmDeny(BaseAction):
    """Yes and no: they answer "Did you mean ...?", and are acknowledged otherwise."""

    resets_fallback = False

    def name(self) -> str:
        """Return the action name."""
        return "action_affirm_deny"

    def respond(self, turn: Turn) -> None:
        """Take "yes" as the first suggestion and "no" as a request to rephrase."""
        suggested = bool(turn.fallback_count and turn.choices
                         and turn.choices[0].startswith("topic:"))
        if turn.intent == "affirm" and suggested:
            turn.fallback_count = 0
            resolve_choice(turn, turn.choices[0])
        elif turn.intent == "deny" and suggested:
            turn.unanswered = True
            turn.say(turn.message("rephrase"))
        else:
            turn.fallback_count = 0
            turn.say(turn.message("affirm" if turn.intent == "affirm" else "deny"))
