"""Conversations with a real server over Rasa's REST channel URL, in the four languages."""

from __future__ import annotations

import pytest

from bot.content import load_content
from bot.content.directory import referral
from bot.paths import CONTENT_DIR
from tests.conftest import RunningServer

CONTENT = load_content(CONTENT_DIR)


def msg(key: str, language: str, **values: str) -> str:
    return CONTENT.message(key, language, **values)


@pytest.mark.parametrize(
    "text, language",
    [("hello", "en"), ("bonjour", "fr"), ("السلام عليكم", "ar"), ("hola", "es"),
     ("salam 3likom", "ar")],
)
def test_greeting_is_answered_in_the_persons_language(server: RunningServer, text: str,
                                                      language: str) -> None:
    replies = server.chat().say(text)
    assert msg("greeting", language) in replies[0]
    assert msg("privacy", language) in replies[0]
    assert replies[1].startswith(msg("menu_title", language))


def test_a_french_conversation_asks_the_country_once_and_remembers_it(
        server: RunningServer) -> None:
    chat = server.chat()
    replies = chat.say("bonjour, est ce que je peux aller a l'hopital sans papiers?")
    assert replies[-1].startswith(msg("ask_country", "fr"))
    replies = chat.say("je suis a Sfax")
    assert CONTENT.topics["health_rights"].countries["Tunisia"].text["fr"] in replies[0]
    replies = chat.say("c'est gratuit les soins?")
    assert CONTENT.topics["health_cost"].countries["Tunisia"].text["fr"] in replies[0]
    assert not any(r.startswith(msg("ask_country", "fr")) for r in replies)


def test_numbered_replies_walk_the_menus_in_arabic(server: RunningServer) -> None:
    chat = server.chat()
    chat.say("مرحبا")
    replies = chat.say("5")  # sexual and reproductive health
    assert replies[0].startswith(msg("submenu_title", "ar"))
    replies = chat.say("1")  # contraception
    assert replies[0] == CONTENT.topics["contraception"].text["ar"]


def test_the_language_switches_mid_conversation_and_short_replies_keep_it(
        server: RunningServer) -> None:
    chat = server.chat()
    assert msg("greeting", "en") in chat.say("hi")[0]
    replies = chat.say("estoy embarazada y necesito ver un medico")
    spanish_prompts = [msg(key, "es") for key in ("ask_country", "next_title", "did_you_mean")]
    assert any(r.startswith(prompt) for r in replies for prompt in spanish_prompts)
    assert chat.say("gracias") == [msg("thank", "es")]
    assert chat.say("ok") == [msg("affirm", "es")]  # too short to tell: keeps Spanish
    replies = chat.say("in English please")
    assert replies[0] == msg("language_set", "en")
    assert chat.say("merci") == [msg("thank", "en")]


def test_an_emergency_gets_numbers_at_once(server: RunningServer) -> None:
    replies = server.chat().say("ambulance now, my friend is not breathing")
    for number in ("15", "190", "123", "195"):
        assert number in replies[0]


def test_an_emergency_in_a_known_country_gets_that_countrys_numbers(
        server: RunningServer) -> None:
    chat = server.chat()
    chat.say("I am in Cairo")
    assert "123" in chat.say("emergency! someone fainted and is not waking up")[0]


def test_a_forced_intent_with_entities_is_read_as_text(server: RunningServer) -> None:
    chat = server.chat()
    chat.say("hello")
    replies = chat.say('/choose_language{"language": "es"}')
    assert replies and msg("language_set", "es") not in replies
    assert all(msg(key, "es") not in replies for key in ("menu_title", "ask_language"))


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😀", "a" * 10_000, "\x00\x01\x1bhello", "\u200fمرحبا\u200f",
     "hello مرحبا bonjour hola", "/restart", "////", "\u202e\u2066", "١", "99"],
)
def test_bad_input_gets_a_sensible_reply(server: RunningServer, text: str) -> None:
    replies = server.chat().say(text)
    assert replies and all(r.strip() for r in replies)


def test_bad_input_keeps_the_conversation_language(server: RunningServer) -> None:
    chat = server.chat()
    chat.say("hola")
    replies = chat.say("😀")
    assert replies[0] == msg("empty_message", "es")


@pytest.mark.parametrize(
    "raw, status",
    [(b"not json", 400), (b'{"message": "hi"}', 400), (b'{"sender": "x", "message": 5}', 400),
     (b'["sender"]', 400), (b'{"sender": "' + b"x" * 200 + b'", "message": "hi"}', 400)],
)
def test_malformed_requests_get_400(server: RunningServer, raw: bytes, status: int) -> None:
    code, body = server.post(None, raw=raw)
    assert code == status and "error" in body


def test_delete_data_forgets_the_country(server: RunningServer) -> None:
    chat = server.chat()
    chat.say("I am in Morocco")
    assert chat.say("delete my data")[0] == msg("data_deleted", "en")
    replies = chat.say("is the hospital free?")
    assert replies[-1].startswith(msg("ask_country", "en"))


def test_the_server_log_holds_no_message_text(server: RunningServer) -> None:
    secret = "zanzibar unicorn pregnancy question"
    server.chat().say(secret)
    server.chat().say("/" + secret)
    log = server.log.read_text(errors="replace")
    assert secret not in log
    assert "test-" not in log  # no sender ids either


def test_where_to_go_in_a_city_lists_its_services_and_the_city_is_remembered(
        server: RunningServer) -> None:
    """The shipped directory, end to end: what it holds for Sfax is read from it, not assumed."""
    srhr = referral(CONTENT.directory, "Tunisia", "srhr", city="Sfax")
    assert srhr.reaches_someone
    chat = server.chat()
    replies = chat.say("donde hay condones en sfax")
    first = srhr.entries[0] if srhr.entries else srhr.fallback[0]
    services = next(r for r in replies if f"- {first.organisation} (" in r)
    if srhr.elsewhere:
        assert services.startswith(msg("directory_elsewhere", "es", place="Sfax"))
    elif srhr.entries:
        assert services.startswith(msg("directory_title", "es", place="Sfax"))
    if len(srhr.entries) > 3:
        more_label = msg("directory_more", "es", count="N").split("(")[0]
        assert replies[-1].splitlines()[1].startswith("1 " + more_label)
        more = chat.say("1")
        assert f"- {srhr.entries[3].organisation} (" in more[0]
        assert more[0].splitlines()[1] not in services
    # The city stays with the conversation: the next topic lists Sfax first without asking.
    replies = chat.say("necesito hablar con un psicologo")
    assert not any(r.startswith(msg("ask_country", "es")) for r in replies)
    assert not any(r.startswith(msg("directory_ask_city", "es")) for r in replies)
    mental = referral(CONTENT.directory, "Tunisia", "mental_health", city="Sfax")
    number = next(n for e in (*mental.entries, *mental.fallback) for n in e.phone)
    assert any(number in r for r in replies)
