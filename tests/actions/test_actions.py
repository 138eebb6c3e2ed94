"""Each action's messages and events, on real Tracker and CollectingDispatcher objects."""

from __future__ import annotations

import pytest
import yaml
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from bot.actions.choose_country import ActionSetCountry
from bot.actions.choose_language import ActionSetLanguage
from bot.actions.conversation import ActionSmallTalk
from bot.actions.fallback import ActionAffirmDeny, ActionHandleFallback
from bot.actions.media import ActionUnsupportedMedia
from bot.actions.menu import ActionGreet, ActionShowMenu
from bot.actions.privacy import ActionDeleteData
from bot.actions.topics import ActionAnswerTopic
from bot.content import Content
from bot.paths import REPO_ROOT
from tests.actions.conftest import make_tracker, slot_events, texts

MAIN_MENU = ["topic:health_rights", "topic:health_cost", "topic:health_confidentiality",
             "topic:find_health_service", "menu:srhr", "menu:protection"]
COUNTRY_CHOICES = ["country:Morocco", "country:Tunisia", "country:Egypt", "country:Libya",
                   "country:Yemen"]


async def test_greeting_has_privacy_notice_and_sms_menu_in_the_persons_language(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    events = await ActionGreet().run(dispatcher, make_tracker("greet", "السلام عليكم",
                                                              language="ar"), {})
    first, menu = texts(dispatcher)
    assert content.message("greeting", "ar") in first
    assert content.message("privacy", "ar") in first
    assert menu.splitlines()[1].startswith("1 ") and menu.splitlines()[6].startswith("6 ")
    assert [b["payload"] for b in dispatcher.messages[1]["buttons"]] == list("123456")
    assert slot_events(events) == {"language": "ar", "choices": MAIN_MENU}


async def test_topic_with_known_country_answers_with_the_country_part_and_next_steps(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    tracker = make_tracker("health_cost", "c'est combien le medecin", language="fr",
                           slots={"country": "Morocco", "language": "fr"})
    events = await ActionAnswerTopic().run(dispatcher, tracker, {})
    answer, following = texts(dispatcher)
    assert content.topics["health_cost"].text["fr"] in answer
    assert content.topics["health_cost"].countries["Morocco"].text["fr"] in answer
    assert following.startswith(content.message("next_title", "fr"))
    assert slot_events(events)["choices"] == ["topic:find_health_service", "topic:care_refused",
                                              "topic:health_rights", "menu:main"]


async def test_topic_needing_a_country_gives_the_general_part_then_asks_once(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    events = await ActionAnswerTopic().run(
        dispatcher, make_tracker("gbv", "my husband beats me", language="en"), {})
    general, question = texts(dispatcher)
    assert general == content.topics["gbv"].text["en"]
    assert question.startswith(content.message("ask_country", "en"))
    assert slot_events(events)["pending_topic"] == "gbv"
    assert slot_events(events)["choices"] == COUNTRY_CHOICES


async def test_naming_the_country_finishes_the_waiting_answer_and_remembers_it(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(
        "choose_country", "je suis a Sfax", language="fr",
        entities=[{"entity": "country", "value": "Tunisia"}],
        slots={"pending_topic": "gbv", "language": "fr", "choices": COUNTRY_CHOICES})
    events = await ActionSetCountry().run(dispatcher, tracker, {})
    assert "1899" in texts(dispatcher)[0]
    slots = slot_events(events)
    assert slots["country"] == "Tunisia" and slots["pending_topic"] is None


async def test_emergency_gives_every_countrys_numbers_at_once_when_the_country_is_unknown(
    dispatcher: CollectingDispatcher,
) -> None:
    events = await ActionAnswerTopic().run(
        dispatcher, make_tracker("emergency", "someone is bleeding", language="en"), {})
    first = texts(dispatcher)[0]
    for number in ("15", "190", "123", "195"):
        assert number in first
    assert "1515" not in first
    assert slot_events(events)["pending_topic"] == "emergency"


async def test_emergency_with_known_country_leads_with_its_numbers(
    dispatcher: CollectingDispatcher,
) -> None:
    await ActionAnswerTopic().run(dispatcher, make_tracker(
        "emergency", "ambulance!!", language="en", slots={"country": "Egypt"}), {})
    assert "ambulance 123" in texts(dispatcher)[0]


def _number(value: int, choices: list[str] | None, language: str = "en", **slots):
    return make_tracker(
        "nlu_fallback", str(value), entities=[{"entity": "choice", "value": str(value)}],
        language=None, decisive=False,
        slots={"choices": choices, "language": language, **slots})


async def test_a_number_picks_that_choice_of_the_last_question(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    choices = ["topic:find_health_service", "topic:care_refused", "menu:main"]
    await ActionHandleFallback().run(dispatcher, _number(2, choices, "es",
                                                         country="Egypt"), {})
    assert content.topics["care_refused"].text["es"] in texts(dispatcher)[0]


async def test_a_number_without_a_pending_question_picks_from_the_main_menu(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    await ActionHandleFallback().run(dispatcher, _number(6, None), {})
    assert texts(dispatcher)[0].startswith(content.message("submenu_title", "en"))
    assert "1 " + content.topics["gbv"].title["en"] in texts(dispatcher)[0]


async def test_a_number_choosing_a_country_sets_it(dispatcher: CollectingDispatcher) -> None:
    events = await ActionHandleFallback().run(
        dispatcher, _number(3, COUNTRY_CHOICES, pending_topic="emergency"), {})
    assert "123" in texts(dispatcher)[0]
    assert slot_events(events)["country"] == "Egypt"


async def test_a_number_out_of_range_says_so_and_repeats_the_choices(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    events = await ActionHandleFallback().run(dispatcher, _number(9, COUNTRY_CHOICES), {})
    assert texts(dispatcher)[0] == content.message("number_unknown", "en")
    assert "5 Yemen" in texts(dispatcher)[1]
    assert "choices" not in slot_events(events)  # unchanged


async def test_first_fallback_asks_did_you_mean_with_numbered_topics(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    ranking = [{"name": "nlu_fallback", "confidence": 1.0},
               {"name": "health_cost", "confidence": 0.3},
               {"name": "greet", "confidence": 0.2},
               {"name": "health_rights", "confidence": 0.2}]
    tracker = make_tracker("nlu_fallback", "the paper for the doctor", language="en",
                           ranking=ranking)
    events = await ActionHandleFallback().run(dispatcher, tracker, {})
    assert texts(dispatcher)[0].startswith(content.message("did_you_mean", "en"))
    slots = slot_events(events)
    assert slots["choices"] == ["topic:health_cost", "topic:health_rights", "other"]
    assert slots["fallback_count"] == 1.0


async def test_second_fallback_shows_the_menu_and_a_human_contact(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    tracker = make_tracker("nlu_fallback", "blablabla", language="en",
                           slots={"fallback_count": 1.0, "country": "Libya"})
    events = await ActionHandleFallback().run(dispatcher, tracker, {})
    sent = texts(dispatcher)
    assert sent[0] == content.message("fallback_final", "en")
    assert "0917127644" in sent[1]  # UNHCR protection line in Libya
    assert sent[2].startswith(content.message("menu_title", "en"))
    assert slot_events(events)["fallback_count"] == 0.0


async def test_a_second_message_of_danger_not_understood_is_asked_about_again(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    # As the NLU ranks it: the topic of the word of danger first (DomainGate).
    ranking = [{"name": "nlu_fallback", "confidence": 0.6},
               {"name": "emergency", "confidence": 0.05},
               {"name": "trafficking", "confidence": 0.47}]
    events = await ActionHandleFallback().run(dispatcher, make_tracker(
        "nlu_fallback", "khoya ghadi ymout 3awnouni", language="ar", ranking=ranking,
        slots={"fallback_count": 1.0}), {})
    assert texts(dispatcher)[0].startswith(content.message("did_you_mean", "ar"))
    assert slot_events(events)["choices"] == ["topic:emergency", "topic:trafficking", "other"]
    # Without a word of danger, the second time is the menu.
    dispatcher.messages.clear()
    await ActionHandleFallback().run(dispatcher, make_tracker(
        "nlu_fallback", "khoya ghadi ymchi", language="ar", ranking=ranking,
        slots={"fallback_count": 1.0}), {})
    assert texts(dispatcher)[0] == content.message("fallback_final", "ar")


async def test_a_fallback_that_leans_to_emergency_answers_the_emergency(
    dispatcher: CollectingDispatcher,
) -> None:
    ranking = [{"name": "nlu_fallback", "confidence": 1.0},
               {"name": "emergency", "confidence": 0.35}]
    await ActionHandleFallback().run(dispatcher, make_tracker(
        "nlu_fallback", "my friend is not waking up", language="en", ranking=ranking,
        slots={"country": "Tunisia"}), {})
    assert "190" in texts(dispatcher)[0]


async def test_yes_after_did_you_mean_answers_the_first_suggestion(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    tracker = make_tracker("affirm", "yes", language="en", slots={
        "fallback_count": 1.0, "choices": ["topic:hiv_sti", "topic:contraception", "other"]})
    events = await ActionAffirmDeny().run(dispatcher, tracker, {})
    assert texts(dispatcher)[0] == content.topics["hiv_sti"].text["en"]
    assert slot_events(events)["fallback_count"] == 0.0


async def test_choosing_a_supported_language_switches_and_confirms_in_it(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    tracker = make_tracker("choose_language", "en español por favor", language="es",
                           entities=[{"entity": "language", "value": "es"}],
                           slots={"language": "en"})
    events = await ActionSetLanguage().run(dispatcher, tracker, {})
    assert texts(dispatcher)[0] == content.message("language_set", "es")
    assert slot_events(events)["language"] == "es"


async def test_an_explicit_choice_wins_over_the_text_language(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    tracker = make_tracker("choose_language", "I want Arabic", language="en",
                           entities=[{"entity": "language", "value": "ar"}])
    await ActionSetLanguage().run(dispatcher, tracker, {})
    assert texts(dispatcher)[0] == content.message("language_set", "ar")


async def test_an_unsupported_language_is_named_and_the_supported_ones_offered(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    tracker = make_tracker("choose_language", "wolof please", language="en",
                           entities=[{"entity": "language", "value": "wo", "text": "wolof"}])
    events = await ActionSetLanguage().run(dispatcher, tracker, {})
    assert texts(dispatcher)[0] == content.message("language_unsupported", "en",
                                                   language="wolof")
    assert slot_events(events)["choices"] == [
        "lang:en", "lang:fr", "lang:ar", "lang:es", "lang:om", "lang:am", "lang:ti", "lang:so",
        "lang:ha"]
    # Each language in its own name.
    menu = texts(dispatcher)[1]
    for name in ("Afaan Oromoo", "አማርኛ", "ትግርኛ", "Soomaali", "Hausa"):
        assert name in menu


@pytest.mark.parametrize("code, text", [("om", "afaan oromootiin naaf barreessi"),
                                        ("am", "በአማርኛ ጻፍልኝ"), ("ti", "ብትግርኛ ጽሓፉለይ"),
                                        ("so", "soomaali ku qor"), ("ha", "da hausa don allah")])
async def test_each_new_language_can_be_chosen_and_is_confirmed_in_it(
    dispatcher: CollectingDispatcher, content: Content, code: str, text: str
) -> None:
    tracker = make_tracker("choose_language", text, language="en", decisive=False,
                           entities=[{"entity": "language", "value": code}],
                           slots={"language": "en"})
    events = await ActionSetLanguage().run(dispatcher, tracker, {})
    assert texts(dispatcher)[0] == content.message("language_set", code)
    assert texts(dispatcher)[1].startswith(content.message("menu_title", code))
    assert slot_events(events)["language"] == code


async def test_a_topic_in_tigrinya_is_answered_in_tigrinya_with_the_country_part(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    tracker = make_tracker("gbv", "ሰብኣየ ይወቕዓኒ ኣሎ", language="ti",
                           slots={"country": "Libya"})
    await ActionAnswerTopic().run(dispatcher, tracker, {})
    answer = texts(dispatcher)[0]
    assert content.topics["gbv"].text["ti"] in answer
    assert "1417" in answer  # Libya's UNFPA line, filled into the Tigrinya country part


async def test_a_short_ambiguous_message_keeps_the_conversations_language(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    tracker = make_tracker("thank", "ok merci", language="fr", decisive=False,
                           slots={"language": "es"})
    events = await ActionSmallTalk().run(dispatcher, tracker, {})
    assert texts(dispatcher) == [content.message("thank", "es")]
    assert "language" not in slot_events(events)


async def test_the_channel_hint_decides_when_the_text_cannot(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    tracker = make_tracker("help", "menu", language=None, decisive=False,
                           metadata={"language_hint": "fr-FR"})
    await ActionShowMenu().run(dispatcher, tracker, {})
    assert texts(dispatcher)[0].startswith(content.message("menu_title", "fr"))


async def test_delete_data_confirms_then_resets_slots_and_restarts(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    tracker = make_tracker("delete_data", "borrar mis datos", language="es",
                           slots={"country": "Morocco", "language": "es"})
    events = await ActionDeleteData().run(dispatcher, tracker, {})
    assert texts(dispatcher) == [content.message("data_deleted", "es")]
    assert [e["event"] for e in events] == ["reset_slots", "restart"]


def test_the_action_server_registers_every_domain_action_and_no_abstract_base() -> None:
    executor = ActionExecutor()
    executor.register_package("bot.actions")
    domain = yaml.safe_load((REPO_ROOT / "domain.yml").read_text())
    assert set(executor.actions) == set(domain["actions"])
    assert "action_unsupported_media" in executor.actions


async def test_a_voice_note_gets_the_polite_reply_in_the_hinted_language(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    tracker = make_tracker("unsupported_media", '/unsupported_media{"media": "voice"}',
                           entities=[{"entity": "media", "value": "voice"}],
                           decisive=False, metadata={"language_hint": "es"})
    events = await ActionUnsupportedMedia().run(dispatcher, tracker, {})
    assert texts(dispatcher) == [content.message("unsupported_media", "es")]
    assert dispatcher.messages[0]["language"] == "es", "the channel learns the reply language"
    assert slot_events(events)["language"] == "es"
    # Telegram's language_code for Amharic is enough for an Amharic reply.
    amharic = CollectingDispatcher()
    await ActionUnsupportedMedia().run(amharic, make_tracker(
        "unsupported_media", '/unsupported_media{"media": "voice"}', decisive=False,
        entities=[{"entity": "media", "value": "voice"}], metadata={"language_hint": "am"}), {})
    assert texts(amharic) == [content.message("unsupported_media", "am")]


async def test_an_empty_message_gets_the_menu(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    tracker = make_tracker("unsupported_media", entities=[{"entity": "media", "value": "empty"}],
                           slots={"language": "fr"})
    await ActionUnsupportedMedia().run(dispatcher, tracker, {})
    replies = texts(dispatcher)
    assert replies[0] == content.message("empty_message", "fr") and len(replies) == 2


async def test_deleting_data_tells_the_channel_to_forget_too(
    dispatcher: CollectingDispatcher,
) -> None:
    await ActionDeleteData().run(dispatcher, make_tracker("delete_data", "delete my data"), {})
    assert dispatcher.messages[0]["forget"] is True


async def test_a_barely_likely_emergency_gets_did_you_mean_not_the_emergency_answer(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    ranking = [{"name": "nlu_fallback", "confidence": 1.0},
               {"name": "emergency", "confidence": 0.08},
               {"name": "health_cost", "confidence": 0.07}]
    await ActionHandleFallback().run(dispatcher, make_tracker(
        "nlu_fallback", "qwerty zxcv", language="en", ranking=ranking), {})
    assert texts(dispatcher)[0].startswith(content.message("did_you_mean", "en"))


async def test_emergency_and_protection_answers_are_marked_urgent_others_not(
    dispatcher: CollectingDispatcher,
) -> None:
    """The channels resend an urgent answer cut short by a crash rather than risk losing it."""
    await ActionAnswerTopic().run(
        dispatcher, make_tracker("emergency", "ambulance now", language="en"), {})
    assert dispatcher.messages and all(m.get("urgent") for m in dispatcher.messages)
    dispatcher.messages.clear()
    await ActionAnswerTopic().run(
        dispatcher, make_tracker("gbv", "my husband beats me", language="en"), {})
    assert all(m.get("urgent") for m in dispatcher.messages)
    dispatcher.messages.clear()
    await ActionAnswerTopic().run(
        dispatcher, make_tracker("health_cost", "is the doctor free", language="en"), {})
    assert dispatcher.messages and not any(m.get("urgent") for m in dispatcher.messages)
