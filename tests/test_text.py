"""Text cleaning and matching that every channel and NLU component relies on."""

import pytest

from bot.text import (
    MAX_TEXT_CHARS,
    arabic_variants,
    clean_user_text,
    fold,
    neutralize_command_prefix,
    parse_choice_number,
    tokens,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ('/greet{"language": "ar"}', 'greet{"language": "ar"}'),
        ("//choose_language", "choose_language"),
        ("  \u200f/emergency", "emergency"),
        ("/ / help", "help"),
        ("I need a doctor / nurse", "I need a doctor / nurse"),
    ],
)
def test_a_leading_slash_is_read_as_text_not_as_a_command(text: str, expected: str) -> None:
    assert neutralize_command_prefix(text) == expected


def test_invisible_and_control_characters_are_removed_and_long_text_is_cut() -> None:
    assert clean_user_text("\u202bsalam\u200f \x00\x07ca va\u2066") == "salam ca va"
    assert clean_user_text(None) == ""
    assert len(clean_user_text("a" * 10_000)) == MAX_TEXT_CHARS


def test_folding_ignores_case_accents_diacritics_hamza_and_digit_forms() -> None:
    assert fold("HÔPITAL Médecin") == "hopital medecin"
    assert fold("مُسْتَشْفَى") == fold("مستشفي")
    assert fold("أريد") == fold("اريد")
    assert fold("٢٠٢٤") == "2024"


def test_arabic_words_are_tried_without_their_attached_prefixes() -> None:
    assert "مغرب" in arabic_variants("بالمغرب")
    assert "فاس" in arabic_variants("فاس")  # a name that starts with a prefix letter survives
    assert arabic_variants("hello") == ["hello"]


@pytest.mark.parametrize(
    "text, number",
    [("2", 2), (" 3. ", 3), ("#4", 4), ("٢", 2), ("۳", 3), ("n°5", 5), ("option 6", 6),
     ("2 kids", None), ("0", None), ("100", None), ("hello", None), ("", None)],
)
def test_only_a_bare_small_number_is_a_numbered_reply(text: str, number: int | None) -> None:
    assert parse_choice_number(text) == number


def test_tokens_split_on_punctuation_and_apostrophes() -> None:
    assert tokens("je suis à l'hôpital, ok?") == ["je", "suis", "a", "l", "hopital", "ok"]
