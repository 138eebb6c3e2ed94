"""Telegram and Twilio end to end: a real `migrant-bot serve`, real HTTP, fake vendor APIs.

Each test uses its own chat id or phone number, so tests never read each other's messages.
"""

from __future__ import annotations

import itertools
import random
import sqlite3
from typing import Any

import pytest

from bot.content import load_content
from bot.inbox import person_key
from bot.paths import CONTENT_DIR
from bot.pseudonym import pseudonym
from bot.sms import encoding, segments
from tests.conftest import PSEUDONYM_KEY, SMS_FROM, TWILIO_SID, WHATSAPP_FROM, RunningServer
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio

CONTENT = load_content(CONTENT_DIR)
_update_ids = itertools.count(random.randrange(10**6, 10**7))
_chat_ids = itertools.count(random.randrange(10**8, 10**9))
_numbers = itertools.count(random.randrange(10**7, 10**8))


def message_text(key: str, language: str) -> str:
    return CONTENT.message(key, language)


class TelegramUser:
    """A person on Telegram, talking to the session server through the webhook."""

    def __init__(self, server: RunningServer, fake: FakeTelegram, language: str = "en") -> None:
        self.server = server
        self.fake = fake
        self.chat_id = next(_chat_ids)
        self.language = language

    def _message(self, **fields: Any) -> dict[str, Any]:
        return {"message_id": next(_update_ids) % 10**6, "date": 1700000000,
                "chat": {"id": self.chat_id, "type": "private", "first_name": "A"},
                "from": {"id": self.chat_id, "is_bot": False, "first_name": "A",
                         "language_code": self.language}, **fields}

    def post(self, update: dict[str, Any], **kwargs: Any) -> tuple[int, Any]:
        return self.server.telegram({"update_id": next(_update_ids), **update}, **kwargs)

    def send(self, **fields: Any) -> tuple[int, Any]:
        return self.post({"message": self._message(**fields)})

    def press(self, data: str) -> tuple[int, Any]:
        return self.post({"callback_query": {
            "id": f"cb{next(_update_ids)}", "chat_instance": "ci", "data": data,
            "from": {"id": self.chat_id, "is_bot": False, "first_name": "A",
                     "language_code": self.language},
            "message": self._message(text="menu")}})

    def received(self) -> list[dict[str, Any]]:
        return self.fake.sent_messages(self.chat_id)

    def wait(self, count: int, timeout: float = 20) -> list[dict[str, Any]]:
        assert self.fake.wait_for(lambda fake: len(fake.sent_messages(self.chat_id)) >= count,
                                  timeout), f"expected {count} messages, got {self.received()}"
        return self.received()

    def says(self, text: str, count: int = 1) -> list[str]:
        before = len(self.received())
        status, _ = self.send(text=text)
        assert status == 200
        self.wait(before + count)
        return [m["text"] for m in self.settled()[before:]]

    def settled(self, quiet: float = 0.7) -> list[dict[str, Any]]:
        """Return the messages received once no new one came for `quiet` seconds."""
        while True:
            count = len(self.received())
            if not self.fake.wait_for(
                    lambda fake, count=count: len(fake.sent_messages(self.chat_id)) > count, quiet):
                return self.received()


class SmsUser:
    """A person on SMS or WhatsApp, writing through Twilio's webhook."""

    def __init__(self, server: RunningServer, fake: FakeTwilio, whatsapp: bool = False) -> None:
        self.server = server
        self.fake = fake
        self.number = f"+2126{next(_numbers)}"
        self.address = f"whatsapp:{self.number}" if whatsapp else self.number

    def post(self, body: str = "", **fields: str) -> tuple[int, str]:
        params = {"AccountSid": TWILIO_SID, "From": self.address,
                  "To": WHATSAPP_FROM if self.address.startswith("whatsapp:") else SMS_FROM,
                  "MessageSid": f"SM{next(_update_ids):032x}", "Body": body, "NumMedia": "0",
                  **fields}
        return self.server.twilio(params)

    def received(self) -> list[dict[str, Any]]:
        return self.fake.sent_messages(self.address)

    def says(self, body: str, count: int = 1, **fields: str) -> list[str]:
        before = len(self.received())
        status, twiml = self.post(body, **fields)
        assert status == 200 and "<Response" in twiml
        assert self.fake.wait_for(lambda fake: len(fake.sent_messages(self.address))
                                  >= before + count, 20), self.received()
        return [m["Body"] for m in self.received()[before:]]


@pytest.fixture
def telegram(server: RunningServer, fake_telegram: FakeTelegram) -> TelegramUser:
    fake_telegram.reset()
    return TelegramUser(server, fake_telegram)


@pytest.fixture
def sms(server: RunningServer, fake_twilio: FakeTwilio) -> SmsUser:
    fake_twilio.reset()
    return SmsUser(server, fake_twilio)


def opted_out(server: RunningServer, person: str) -> bool:
    assert server.database is not None
    with sqlite3.connect(server.database) as db:
        return db.execute("SELECT 1 FROM opt_outs WHERE person = ?", (person,)).fetchone() \
            is not None


# --- Telegram -------------------------------------------------------------------------------

def test_a_french_question_on_telegram_gets_a_french_answer(telegram: TelegramUser) -> None:
    telegram.language = "fr"
    replies = telegram.says("est-ce que je peux aller a l'hopital sans papiers ?", count=1)
    answer = replies[0]
    assert CONTENT.topics["health_rights"].text["fr"][:40] in answer


def test_forged_or_missing_secrets_get_403_and_no_answer(
    telegram: TelegramUser, server: RunningServer
) -> None:
    update = {"message": telegram._message(text="hello")}
    assert telegram.post(update, secret="wrong-secret")[0] == 403
    assert telegram.post(update, secret=None)[0] == 403
    assert telegram.post(update, secret="")[0] == 403
    assert server.telegram(None, raw=b"{not json")[0] == 400
    assert server.telegram({"update_id": "x"})[0] == 400
    telegram.says("hello", count=1)  # a real message still gets its answer...
    assert len(telegram.received()) <= 3, "...and the forged ones got none"


def test_a_retried_update_is_answered_once(telegram: TelegramUser, server: RunningServer) -> None:
    update = {"update_id": next(_update_ids), "message": telegram._message(text="hi")}
    assert server.telegram(update)[0] == 200
    status, body = server.telegram(update)
    assert status == 200 and body.get("duplicate") is True
    [answer] = telegram.wait(1)  # the greeting and the menu, as one message with buttons
    assert answer.get("reply_markup")
    answered = 1
    assert not telegram.fake.wait_for(
        lambda fake: len(fake.sent_messages(telegram.chat_id)) > answered, 2)


def test_a_voice_note_gets_the_polite_reply_in_the_persons_language(
    telegram: TelegramUser,
) -> None:
    telegram.language = "ar"
    telegram.send(voice={"file_id": "v", "file_unique_id": "u", "duration": 4})
    assert telegram.wait(1)[0]["text"] == message_text("unsupported_media", "ar")


def test_commands_buttons_and_a_forged_intent(telegram: TelegramUser) -> None:
    greeting = telegram.says("/start")
    assert message_text("greeting", "en") in greeting[0]
    menu = telegram.received()[-1]
    assert menu["text"].startswith(message_text("greeting", "en")), (
        "the greeting and the menu are one message, the menu's buttons under it")
    buttons = [row[0] for row in menu["reply_markup"]["inline_keyboard"]]
    assert [b["callback_data"] for b in buttons] == [str(i) for i in range(1, len(buttons) + 1)]
    before = len(telegram.received())
    telegram.press("1")
    answer = telegram.wait(before + 1)[before]["text"]
    assert answer and answer != menu["text"]
    assert telegram.fake.calls_to("answerCallbackQuery"), "the button's spinner is stopped"
    forged = telegram.says('/greet{"language": "ar"}')
    assert message_text("greeting", "ar") not in "".join(forged), (
        "user text starting with / never forces an intent or sets a slot")
    assert message_text("greeting", "en") in telegram.says("hello")[0]


def test_a_location_sets_the_country(telegram: TelegramUser) -> None:
    telegram.send(location={"latitude": 36.80, "longitude": 10.18})
    assert telegram.wait(1)[0]["text"].startswith(
        message_text("country_set", "en").split("{")[0].strip())
    assert "Tunisia" in telegram.received()[0]["text"]


def test_stop_blocking_and_a_403_on_send_mark_the_person_unsubscribed(
    telegram: TelegramUser, server: RunningServer
) -> None:
    person = pseudonym(PSEUDONYM_KEY.encode(), "telegram", str(telegram.chat_id))
    telegram.says("/stop")
    assert opted_out(server, person)
    telegram.says("/start")
    assert not opted_out(server, person), "/start undoes /stop"
    telegram.fake.block(telegram.chat_id)
    telegram.send(text="hello")
    assert telegram.fake.wait_for(lambda fake: any(
        c.status == 403 for c in fake.calls_to("sendMessage", telegram.chat_id)), 20)
    assert _eventually(lambda: opted_out(server, person))
    telegram.fake.unblock(telegram.chat_id)
    other = TelegramUser(server, telegram.fake)
    member = {"user": {"id": other.chat_id, "is_bot": False, "first_name": "A"}}
    other.post({"my_chat_member": {
        "chat": {"id": other.chat_id, "type": "private"}, "date": 1700000000,
        "from": {"id": other.chat_id, "is_bot": False, "first_name": "A"},
        "old_chat_member": {**member, "status": "member"},
        "new_chat_member": {**member, "status": "kicked", "until_date": 0}}})
    assert _eventually(lambda: opted_out(
        server, pseudonym(PSEUDONYM_KEY.encode(), "telegram", str(other.chat_id))))
    assert other.received() == []


def test_an_edited_message_is_not_answered_again(telegram: TelegramUser) -> None:
    telegram.says("hello")
    count = len(telegram.received())
    edited = telegram._message(text="hello again", edit_date=1700000005)
    assert telegram.post({"edited_message": edited})[0] == 200
    telegram.says("thanks")
    assert len(telegram.received()) == count + 1


def test_delete_then_clear_this_chat(telegram: TelegramUser) -> None:
    telegram.says("hello")
    deleted = telegram.says("/delete")
    assert message_text("data_deleted", "en") in deleted[0]
    keyboard = telegram.received()[-1]["reply_markup"]["inline_keyboard"]
    assert keyboard[-1][0]["callback_data"] == "chat:clear"
    telegram.press("chat:clear")
    assert telegram.fake.wait_for(lambda fake: fake.calls_to("deleteMessages", telegram.chat_id),
                                  20)
    deleted_ids = telegram.fake.calls_to("deleteMessages", telegram.chat_id)[0].params[
        "message_ids"]
    sent_ids = [c.response["result"]["message_id"] for c in telegram.fake.calls_to(
        "sendMessage", telegram.chat_id) if c.status == 200]
    assert set(sent_ids) <= {int(i) for i in deleted_ids}, "the assistant's messages are gone"


def test_a_429_is_waited_out_and_the_answer_still_arrives(telegram: TelegramUser) -> None:
    telegram.fake.fail_next("sendMessage", 429, retry_after=1)
    replies = telegram.says("thank you")
    assert replies and any(c.status == 429 for c in telegram.fake.calls_to("sendMessage"))


# --- Twilio: SMS and WhatsApp ---------------------------------------------------------------

def test_forged_and_unsigned_twilio_requests_get_403(sms: SmsUser, server: RunningServer) -> None:
    params = {"AccountSid": TWILIO_SID, "From": sms.number, "To": SMS_FROM,
              "MessageSid": "SM" + "1" * 32, "Body": "hello", "NumMedia": "0"}
    assert server.twilio(params, signature=None)[0] == 403
    assert server.twilio(params, signature="bm90IGEgc2lnbmF0dXJl")[0] == 403
    from twilio.request_validator import RequestValidator

    other_key = RequestValidator("0" * 32).compute_signature(
        "https://assistant.example.org/webhooks/twilio/webhook", params)
    assert server.twilio(params, signature=other_key)[0] == 403
    assert server.twilio({"AccountSid": TWILIO_SID, "Body": "no sender"})[0] == 400
    assert sms.fake.wait_for(lambda fake: bool(fake.sent_messages(sms.number)), 1.5) is False


def test_an_arabic_sms_is_cut_into_ucs2_segments_within_budget_with_more(sms: SmsUser) -> None:
    sms.says("مرحبا انا في المغرب")
    body = sms.says("هل يمكنني الذهاب إلى المستشفى بدون أوراق؟")[0]
    assert encoding(body) == "UCS-2" and segments(body) <= 3
    hint = "أرسل «المزيد» لبقية الجواب."
    assert body.endswith(hint), "a rights answer with its country part is longer than 3 segments"
    parts = [body]
    while parts[-1].endswith(hint) and len(parts) < 8:
        parts.append(sms.says("المزيد")[0])
        assert segments(parts[-1]) <= 3 and encoding(parts[-1]) == "UCS-2"
    whole = " ".join(part.removesuffix(hint).strip() for part in parts)
    rights = CONTENT.topics["health_rights"].countries["Morocco"].text["ar"]
    assert " ".join(rights.split()) in whole, "nothing lost or cut inside a word"


def test_a_spanish_sms_goes_out_in_gsm7_without_the_accents_gsm7_lacks(sms: SmsUser) -> None:
    """á í ó ú would make the whole answer UCS-2 (67 characters a segment): folded, not lost."""
    from bot.sms import gsm_fold

    sms.says("hola estoy en marruecos")
    body = sms.says("puedo ir al hospital sin papeles")[0]
    assert encoding(body) == "GSM-7" and segments(body) <= 3
    rights = CONTENT.topics["health_rights"].text["es"]
    assert encoding(rights) == "UCS-2", "the shipped Spanish text has accents GSM-7 lacks"
    assert gsm_fold(rights).split()[0] in body and "á" not in body


def test_a_retried_message_sid_is_answered_once(sms: SmsUser, server: RunningServer) -> None:
    params = {"AccountSid": TWILIO_SID, "From": sms.number, "To": SMS_FROM,
              "MessageSid": f"SM{next(_update_ids):032x}", "Body": "hello", "NumMedia": "0"}
    assert server.twilio(params)[0] == 200
    assert server.twilio(params)[0] == 200
    assert sms.fake.wait_for(lambda fake: len(fake.sent_messages(sms.number)) >= 1, 20)
    assert sms.fake.wait_for(lambda fake: len(fake.sent_messages(sms.number)) >= 2, 2) is False


def test_sms_keywords_voice_notes_and_numbered_replies(sms: SmsUser, server: RunningServer) -> None:
    person = pseudonym(PSEUDONYM_KEY.encode(), "sms", sms.number)
    sms.says("STOP")
    assert opted_out(server, person)
    menu = sms.says("START")[0]
    assert not opted_out(server, person)
    assert "1" in menu and "2" in menu
    second = sms.says("2")[0]
    assert second and second != menu
    voice = sms.says("", NumMedia="1", MediaContentType0="audio/amr",
                     MediaUrl0="https://api.twilio.com/media/x")[0]
    assert voice == message_text("unsupported_media", "en")


def test_whatsapp_gets_each_reply_from_the_whatsapp_sender(
    server: RunningServer, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.reset()
    user = SmsUser(server, fake_twilio, whatsapp=True)
    replies = user.says("Bonjour", count=2)
    sent = user.received()
    assert all(m["From"] == WHATSAPP_FROM for m in sent)
    assert message_text("greeting", "fr") in replies[0]


def test_no_raw_identifier_or_text_reaches_the_logs_or_the_database(
    server: RunningServer, telegram: TelegramUser, sms: SmsUser
) -> None:
    secret_words = "zebrafish-umbrella"
    telegram.says(f"I have a question about {secret_words}", count=1)
    sms.says(f"my {secret_words} question")
    log = server.log.read_text(errors="replace")
    assert str(telegram.chat_id) not in log and sms.number not in log
    assert sms.number.lstrip("+") not in log and secret_words not in log
    assert server.database is not None
    stored = server.database.read_bytes()
    for path in server.database.parent.glob("*.sqlite3-wal"):
        stored += path.read_bytes()
    for raw in (str(telegram.chat_id), sms.number.lstrip("+"), secret_words):
        assert raw.encode() not in stored
    # The inbox held both messages, encrypted; once answered, nothing of them is left but a
    # keyed hash of the vendor's message id and an hour.
    key = PSEUDONYM_KEY.encode()
    pseudonyms = {pseudonym(key, "telegram", str(telegram.chat_id)),
                  pseudonym(key, "sms", sms.number)}
    for value in pseudonyms:
        assert value.encode() not in stored, "the inbox keeps a keyed hash, not the pseudonym"
    people = {person_key(key, value) for value in pseudonyms}
    assert _eventually(lambda: _inbox_rows(server, people) == [])
    with sqlite3.connect(server.database) as db:
        done = db.execute("SELECT payload, plan, person, received_at FROM inbox "
                          "WHERE state = 'done'").fetchall()
    assert done and all(row == (None, None, None, None) for row in done)


def _inbox_rows(server: RunningServer, people: set[str]) -> list[Any]:
    assert server.database is not None
    with sqlite3.connect(server.database) as db:
        rows = db.execute("SELECT person, state FROM inbox WHERE state != 'done'").fetchall()
    return [row for row in rows if row[0] in people]


def _eventually(check: Any, timeout: float = 10.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_serve_says_which_channels_are_on(server: RunningServer) -> None:
    log = server.log.read_text(errors="replace")
    assert "telegram at /webhooks/telegram/webhook" in log
    assert "twilio (sms and whatsapp) at /webhooks/twilio/webhook" in log
