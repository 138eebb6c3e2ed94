"""The indicators, defined once: what a turn's outcome is and what each figure counts.

Everything that decides what an indicator means lives here; the recorder, the roll-up and the
report import these sets and expressions and never restate them. Changing a definition changes
`DEFINITIONS_VERSION`, which every report prints, so figures computed under two definitions are
never compared by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func
from sqlalchemy.sql.elements import ColumnElement

DEFINITIONS_VERSION = "2026.2"

#: Topics whose answer tells a person about a right to health or protection (intents.md
#: sections "Health rights and access" minus the practical ones, "SRHR" and "Protection").
RIGHTS_TOPICS = frozenset({
    "health_rights", "health_cost", "health_confidentiality", "care_refused",
    "contraception", "pregnancy_care", "hiv_sti",
    "gbv", "trafficking", "child_protection", "mental_health",
})
#: Topics whose answer is a referral to a protection service (the "Protection" section of
#: intents.md); emergency and human_help are referrals with outcomes of their own.
PROTECTION_TOPICS = frozenset({"gbv", "trafficking", "child_protection", "mental_health"})
#: Topics that are answered, but only to say the assistant cannot help with that.
UNANSWERED_TOPICS = frozenset({"out_of_scope", "unsupported_media", "nlu_fallback"})

ANSWERED = "answered"
FALLBACK = "fallback"
REFERRAL = "referral"
EMERGENCY = "emergency"
HUMAN = "human"
#: Not a turn: a broadcast message delivered to a subscriber (topic "broadcast_<topic>").
REACHED = "reached"
OUTCOMES = (ANSWERED, FALLBACK, REFERRAL, EMERGENCY, HUMAN, REACHED)
#: Outcomes that count as a referral given.
REFERRAL_OUTCOMES = (REFERRAL, EMERGENCY, HUMAN)
#: Outcomes in which the person received the answer to what they asked.
ANSWER_OUTCOMES = (ANSWERED, REFERRAL, EMERGENCY, HUMAN)

#: The dimensions a report can break figures down by, in their fixed output order.
DIMENSIONS = ("country", "language", "channel", "topic")
UNKNOWN_COUNTRY = "unknown"


@dataclass(frozen=True)
class Indicator:
    """One reported figure: its snake_case key and its definition in words."""

    key: str
    label: str
    definition: str
    unique: bool = False


INDICATORS = (
    Indicator("people_sensitized", "people sensitized",
              "unique persons who received at least one rights answer (health rights, cost, "
              "confidentiality, care refused, SRHR or protection topics) in the period",
              unique=True),
    Indicator("referrals_given", "referrals given",
              "answers that refer the person to a service: protection topics (GBV, trafficking, "
              "child protection, mental health), human help and emergency"),
    Indicator("interactions", "interactions",
              "messages the assistant handled (one per turn; deletion requests are not counted)"),
    Indicator("unanswered_questions", "unanswered questions",
              "turns the assistant did not understand (fallbacks, out of scope, media it "
              "cannot read)"),
    Indicator("people_reached_by_broadcast", "people reached by broadcast",
              "broadcast messages delivered to subscribers (Telegram: accepted into the chat; "
              "SMS and WhatsApp: reported delivered by Twilio), one per person and broadcast: "
              "a person reached by two broadcasts counts twice"),
)
INDICATOR_KEYS = tuple(indicator.key for indicator in INDICATORS)


def classify_turn(intent: str | None, answered: list[str], unanswered: bool) -> tuple[str, str]:
    """Return the (topic, outcome) of one turn.

    Args:
        intent: the intent NLU gave the message.
        answered: the topics whose answer the turn sent, in order (a numbered reply "2" or a
            "yes" to "Did you mean ...?" answers a topic the intent does not name).
        unanswered: True when the turn took a fallback path (not understood, a number out of
            range). If the turn still answered a topic (an emergency guessed from a
            misunderstood message), the answer wins.

    Returns:
        The topic (the answered topic, else the intent) and one of `OUTCOMES`.
    """
    if answered:
        topic = "emergency" if "emergency" in answered else answered[0]
        return topic, outcome_of_topic(topic)
    topic = intent or "nlu_fallback"
    if unanswered or topic in UNANSWERED_TOPICS:
        return topic, FALLBACK
    return topic, ANSWERED


def outcome_of_topic(topic: str) -> str:
    """Return the outcome of answering `topic`."""
    if topic == "emergency":
        return EMERGENCY
    if topic == "human_help":
        return HUMAN
    if topic in PROTECTION_TOPICS:
        return REFERRAL
    if topic in UNANSWERED_TOPICS:
        return FALLBACK
    return ANSWERED


def is_rights_answer(topic: ColumnElement, outcome: ColumnElement) -> ColumnElement:
    """Return the SQL condition "this event is a rights answer"."""
    return and_(topic.in_(sorted(RIGHTS_TOPICS)), outcome.in_(ANSWER_OUTCOMES))


def daily_figures(outcome: ColumnElement, events: ColumnElement) -> dict[str, ColumnElement]:
    """Return the additive indicators as aggregates over daily counts (one row per cell).

    People sensitized is not additive: it is counted from events with `is_rights_answer`.
    """
    return {
        "referrals_given": func.sum(case((outcome.in_(REFERRAL_OUTCOMES), events), else_=0)),
        "interactions": func.sum(case((outcome != REACHED, events), else_=0)),
        "unanswered_questions": func.sum(case((outcome == FALLBACK, events), else_=0)),
        "people_reached_by_broadcast": func.sum(case((outcome == REACHED, events), else_=0)),
    }
