"""What the channels make of vendor payloads, before anything reaches Rasa."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.channels.base import is_more
from bot.channels.telegram import CLEAR_PAYLOAD, UpdateError, parse_update
from bot.channels.twilio import RequestError, keyword, parse_form
from bot.pseudonym import pseudonym
from bot.settings import Settings

KEY = b"k" * 32
CHAT = 987654321


def message(**fields: Any) -> dict[str, Any]:
    body = {"message_id": 7, "date": 1700000000,
            "chat": {"id": CHAT, "type": "private", "first_name": "A"},
            "from": {"id": CHAT, "is_bot": False, "first_name": "A", "language_code": "fr"}}
    body.update(fields)
    return {"update_id": 1, "message": body}


def test_text_becomes_a_message_under_a_pseudonym_with_a_language_hint() -> None:
    incoming = parse_update(message(text="Bonjour, je peux aller a l'hopital ?"), KEY)
    assert incoming is not None and incoming.kind == "text"
    assert incoming.person == pseudonym(KEY, "telegram", str(CHAT))
    assert str(CHAT) not in incoming.person
    assert incoming.language_hint == "fr" and incoming.chat_id == CHAT


@pytest.mark.parametrize("text", ['/greet{"language": "ar"}', "/ delete_data", "//start"])
def test_user_text_starting_with_a_slash_is_never_a_forced_intent(text: str) -> None:
    incoming = parse_update(message(text=text), KEY)
    assert incoming is not None and incoming.kind == "text"
    assert not incoming.text.startswith("/")


@pytest.mark.parametrize("text, expected", [("/start", "/start"), ("/help@migrant_bot", "/help"),
                                            ("/STOP", "/stop"), ("/delete", "/delete"),
                                            ("/language", "/language")])
def test_the_channels_own_commands_are_mapped_explicitly(text: str, expected: str) -> None:
    incoming = parse_update(message(text=text), KEY)
    assert incoming is not None and (incoming.kind, incoming.text) == ("command", expected)


@pytest.mark.parametrize("fields, media", [
    ({"voice": {"file_id": "v", "file_unique_id": "u", "duration": 3}}, "voice"),
    ({"photo": [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]}, "photo"),
    ({"sticker": {"file_id": "s", "file_unique_id": "u", "width": 1, "height": 1,
                  "is_animated": False, "is_video": False, "type": "regular"}}, "sticker"),
    ({"contact": {"phone_number": "+212600000000", "first_name": "B"}}, "contact"),
    ({"document": {"file_id": "d", "file_unique_id": "u"}}, "document"),
])
def test_media_asks_the_assistant_for_its_polite_reply(fields: dict[str, Any], media: str) -> None:
    incoming = parse_update(message(**fields), KEY)
    assert incoming is not None and incoming.kind == "forced"
    assert incoming.text == "/unsupported_media" + json.dumps({"media": media})
    assert "+212600000000" not in incoming.text


def test_a_photo_with_a_caption_is_answered_as_text() -> None:
    incoming = parse_update(message(caption="ou est l'hopital?", photo=[
        {"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]), KEY)
    assert incoming is not None and incoming.kind == "text"


def test_a_location_sets_the_country_and_keeps_no_coordinates() -> None:
    incoming = parse_update(message(location={"latitude": 33.57, "longitude": -7.59}), KEY)
    assert incoming is not None and incoming.text == '/choose_country{"country": "Morocco"}'
    far = parse_update(message(location={"latitude": 48.85, "longitude": 2.35}), KEY)
    assert far is not None and far.text == "/choose_country"


def test_buttons_and_the_clear_choice_come_back_as_callbacks() -> None:
    def callback(data: str) -> dict[str, Any]:
        return {"update_id": 2, "callback_query": {
            "id": "cb1", "chat_instance": "x", "data": data,
            "from": {"id": CHAT, "is_bot": False, "first_name": "A", "language_code": "ar"},
            "message": message(text="menu")["message"]}}

    pressed = parse_update(callback("2"), KEY)
    assert pressed is not None and (pressed.kind, pressed.text, pressed.callback_id) == (
        "text", "2", "cb1")
    assert pressed.language_hint == "ar"
    cleared = parse_update(callback(CLEAR_PAYLOAD), KEY)
    assert cleared is not None and cleared.kind == "clear"


def test_blocking_the_bot_is_an_opt_out_and_edits_and_groups_are_not_answered() -> None:
    member = {"user": {"id": CHAT, "is_bot": False, "first_name": "A"}, "until_date": 0}
    blocked = parse_update({"update_id": 3, "my_chat_member": {
        "chat": {"id": CHAT, "type": "private"}, "date": 1700000000,
        "from": {"id": CHAT, "is_bot": False, "first_name": "A"},
        "old_chat_member": {**member, "status": "member"},
        "new_chat_member": {**member, "status": "kicked"}}}, KEY)
    assert blocked is not None and blocked.kind == "blocked"
    edited = message(text="x")
    edited["edited_message"] = edited.pop("message") | {"edit_date": 1700000001}
    assert parse_update(edited, KEY) is None
    group = message(text="hello")
    group["message"]["chat"] = {"id": -100, "type": "group", "title": "g"}
    assert parse_update(group, KEY) is None


@pytest.mark.parametrize("data", [None, [], {"message": {}}, {"update_id": "1"},
                                  {"update_id": 5, "message": {"chat": "nope"}}])
def test_malformed_updates_are_refused(data: Any) -> None:
    with pytest.raises(UpdateError):
        parse_update(data, KEY)


TWILIO = Settings.from_env({
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "f" * 32,
    "TWILIO_SMS_FROM": "+15005550006", "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886",
    "PUBLIC_BASE_URL": "https://bot.example.org", "PSEUDONYM_KEY": "k" * 32})


def form(**fields: str) -> dict[str, str]:
    return {"From": "+212612345678", "To": "+15005550006", "MessageSid": "SM" + "a" * 32,
            "Body": "", "NumMedia": "0", **fields}


@pytest.mark.parametrize("body, word", [("STOP", "STOP"), ("stop.", "STOP"), (" Quit ", "QUIT"),
                                        ("start", "START"), ("Help", "HELP"),
                                        ("stop sending me alerts", ""), ("yes", "")])
def test_carrier_keywords_are_exact_words(body: str, word: str) -> None:
    assert keyword(body) == word


def test_sms_and_whatsapp_are_separate_people_and_replies_use_the_configured_sender() -> None:
    sms = parse_form(form(Body="salam"), TWILIO)
    whatsapp = parse_form(form(Body="salam", From="whatsapp:+212612345678"), TWILIO)
    assert (sms.kind, sms.reply_from) == ("sms", "+15005550006")
    assert (whatsapp.kind, whatsapp.reply_from) == ("whatsapp", "whatsapp:+14155238886")
    assert sms.person.startswith("sms-") and whatsapp.person.startswith("wa-")
    assert "612345678" not in sms.person + whatsapp.person


def test_keywords_media_location_and_more() -> None:
    stop = parse_form(form(Body="STOP"), TWILIO)
    assert (stop.text, stop.opt) == ("/unsubscribe", "out")
    assert parse_form(form(Body="START"), TWILIO).opt == "in"
    assert parse_form(form(Body="HELP"), TWILIO).text == "/help"
    voice = parse_form(form(NumMedia="1", MediaContentType0="audio/ogg"), TWILIO)
    assert voice.text == '/unsupported_media{"media": "voice"}'
    assert parse_form(form(), TWILIO).text == '/unsupported_media{"media": "empty"}'
    located = parse_form(form(Latitude="36.8", Longitude="10.18"), TWILIO)
    assert located.text == '/choose_country{"country": "Tunisia"}'
    assert parse_form(form(Body="MORE"), TWILIO).more
    assert not parse_form(form(Body='/greet{"language":"ar"}'), TWILIO).text.startswith("/")


def test_a_webhook_without_sender_or_sid_is_malformed() -> None:
    with pytest.raises(RequestError):
        parse_form({"Body": "hi"}, TWILIO)


@pytest.mark.parametrize("text", ["MORE", "plus", "Mas", "المزيد", "more."])
def test_more_in_each_language(text: str) -> None:
    assert is_more(text)
