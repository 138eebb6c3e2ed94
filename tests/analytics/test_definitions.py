"""What a turn counts as, and what a person key is (pure functions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.analytics.definitions import (
    ANSWERED,
    EMERGENCY,
    FALLBACK,
    HUMAN,
    REFERRAL,
    RIGHTS_TOPICS,
    classify_turn,
)
from bot.analytics.person import analytics_key, key_id, person_key
from bot.analytics.service import channel_of
from bot.content import TOPIC_INTENTS


@pytest.mark.parametrize(
    "intent, answered, unanswered, expected",
    [
        ("health_rights", ["health_rights"], False, ("health_rights", ANSWERED)),
        ("gbv", ["gbv"], False, ("gbv", REFERRAL)),
        ("trafficking", ["trafficking"], False, ("trafficking", REFERRAL)),
        ("human_help", ["human_help"], False, ("human_help", HUMAN)),
        ("emergency", ["emergency"], False, ("emergency", EMERGENCY)),
        # "2" picks the GBV answer from a menu: the topic is what was answered, not the intent
        ("nlu_fallback", ["gbv"], False, ("gbv", REFERRAL)),
        # a misunderstood message whose likeliest reading is an emergency: the answer wins
        ("nlu_fallback", ["emergency"], True, ("emergency", EMERGENCY)),
        ("nlu_fallback", [], True, ("nlu_fallback", FALLBACK)),
        ("out_of_scope", ["out_of_scope"], False, ("out_of_scope", FALLBACK)),
        ("unsupported_media", [], False, ("unsupported_media", FALLBACK)),
        ("greet", [], False, ("greet", ANSWERED)),
        (None, [], False, ("nlu_fallback", FALLBACK)),
    ],
)
def test_each_turn_gets_one_topic_and_outcome(
    intent: str | None, answered: list[str], unanswered: bool, expected: tuple[str, str]
) -> None:
    assert classify_turn(intent, answered, unanswered) == expected


def test_rights_topics_are_intents_of_the_contract() -> None:
    assert RIGHTS_TOPICS <= set(TOPIC_INTENTS)


def test_person_keys_are_keyed_and_hide_the_conversation_id() -> None:
    first, second = b"k" * 32, b"j" * 32
    key = person_key(first, "+212600000001")
    assert 0 <= key < 2**63 and "212600000001" not in str(key)
    assert key == person_key(first, "+212600000001")
    assert key != person_key(second, "+212600000001"), "a rotated key links no one"
    assert key != person_key(first, "+212600000002")
    assert key_id(first) != key_id(second) and len(key_id(first)) == 8


def test_without_pseudonym_key_the_installation_makes_its_own_once(tmp_path: Path) -> None:
    path = tmp_path / "var" / "analytics.key"
    made = analytics_key(None, path)
    assert len(made) == 32 and path.stat().st_mode & 0o777 == 0o600
    assert analytics_key(None, path) == made, "the same key on every start"
    assert analytics_key(b"p" * 32, path) == b"p" * 32, "PSEUDONYM_KEY wins when set"


@pytest.mark.parametrize(
    "input_channel, conversation, channel",
    [("telegram", "tg-" + "a" * 32, "telegram"), ("sms", "sms-" + "a" * 32, "sms"),
     (None, "wa-" + "a" * 32, "whatsapp"), ("rest", "anything", "rest"),
     (None, "someone", "rest"), ("cmdline", "tg-x", "telegram")],
)
def test_the_channel_comes_from_the_tracker_or_the_pseudonym_prefix(
    input_channel: str | None, conversation: str, channel: str
) -> None:
    assert channel_of(input_channel, conversation) == channel
