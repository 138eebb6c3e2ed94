"""'Where can I get X near Y' on real Tracker and CollectingDispatcher objects."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from bot.actions.choose_country import ActionSetCountry
from bot.actions.fallback import ActionHandleFallback
from bot.actions.privacy import ActionDeleteData
from bot.actions.topics import ActionAnswerTopic
from bot.content import Content
from tests.actions.conftest import make_tracker, slot_events, texts


def _choice(number: int, **slots) -> object:
    return make_tracker("nlu_fallback", str(number), language=slots.get("language"),
                        entities=[{"entity": "choice", "value": str(number)}], slots=slots)


async def test_a_topic_with_a_city_lists_that_citys_services_first_with_a_way_to_see_more(
    dispatcher: CollectingDispatcher, content: Content
) -> None:
    tracker = make_tracker("contraception", "ou trouver des preservatifs a sfax", language="fr",
                           entities=[{"entity": "country", "value": "Tunisia"}])
    events = await ActionAnswerTopic().run(dispatcher, tracker, {})
    answer, services, following = texts(dispatcher)
    assert content.topics["contraception"].text["fr"] in answer
    assert services.startswith(content.message("directory_title", "fr", place="Sfax"))
    assert services.count("\n- ") == 3  # at most three services
    assert "ONFP" in services.splitlines()[1] and "(Sfax)" in services.splitlines()[1]
    assert content.message("directory_stale", "fr", date="2020-12") in services
    slots = slot_events(events)
    assert slots["city"] == "Sfax" and slots["country"] == "Tunisia"
    assert slots["choices"][0] == "dir:contraception:Sfax:3"
    srhr = [e for e in content.directory.entries("Tunisia") if "srhr" in e.services]
    assert following.splitlines()[1] == "1 " + content.message(
        "directory_more", "fr", count=str(len(srhr) - 3))


async def test_more_shows_the_next_services_without_repeating(content: Content) -> None:
    first, second = CollectingDispatcher(), CollectingDispatcher()
    slots = {"country": "Morocco", "city": "Rabat", "language": "en"}
    events = await ActionAnswerTopic().run(first, make_tracker(
        "find_health_service", "clinic in rabat", language="en", slots=slots), {})
    choices = slot_events(events)["choices"]
    assert choices[0] == "dir:find_health_service:Rabat:3"
    await ActionHandleFallback().run(second, _choice(1, **slots, choices=choices), {})
    page_one = [line for line in texts(first)[1].splitlines() if line.startswith("- ")]
    page_two = [line for line in texts(second)[0].splitlines() if line.startswith("- ")]
    assert len(page_one) == 3 and 1 <= len(page_two) <= 3
    assert not set(page_one) & set(page_two)
    assert "(Rabat)" in page_one[0]


async def test_without_a_city_the_assistant_asks_for_it_then_answers_the_number(
    content: Content,
) -> None:
    asked = CollectingDispatcher()
    slots = {"country": "Morocco", "language": "ar"}
    events = await ActionAnswerTopic().run(asked, make_tracker(
        "find_health_service", "فين السبيطار", language="ar", slots=slots), {})
    question = texts(asked)[-1]
    assert question.startswith(content.message("directory_ask_city", "ar"))
    assert "الرباط" in question and content.message("directory_city_other", "ar") in question
    state = slot_events(events)
    assert state["pending_topic"] == "dir:find_health_service"
    number = state["choices"].index("city:Oujda") + 1

    answered = CollectingDispatcher()
    events = await ActionHandleFallback().run(answered, _choice(
        number, **slots, choices=state["choices"], pending_topic=state["pending_topic"]), {})
    services = texts(answered)[0]
    assert services.startswith(content.message("directory_title", "ar", place="وجدة"))
    assert "+212661193703" in services  # AMPF Oujda, from country-facts.md
    assert content.message("directory_undated", "ar") in services
    after = slot_events(events)
    assert after["city"] == "Oujda" and after["pending_topic"] is None


async def test_writing_the_city_answers_the_city_question(content: Content) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "choose_country", "ana f tanja", language="ar",
        entities=[{"entity": "country", "value": "Morocco"}],
        slots={"country": "Morocco", "language": "ar", "pending_topic": "dir:find_health_service",
               "choices": ["city:Rabat", "city:national"]})
    events = await ActionSetCountry().run(dispatcher, tracker, {})
    services = texts(dispatcher)[0]
    assert "طنجة" in services.splitlines()[0]
    assert "Caritas" in services.splitlines()[1]
    assert slot_events(events)["city"] == "Tangier"


async def test_a_city_the_nlu_missed_still_answers_a_pending_question(content: Content) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "nlu_fallback", "sfax", language="fr",
        entities=[{"entity": "country", "value": "Tunisia"}],
        slots={"country": "Tunisia", "language": "fr", "pending_topic": "dir:gbv"})
    events = await ActionHandleFallback().run(dispatcher, tracker, {})
    assert "(Sfax)" in texts(dispatcher)[0].splitlines()[1]
    assert slot_events(events)["city"] == "Sfax"


async def test_hiv_without_a_country_asks_it_then_gives_the_country_part_and_services(
    content: Content,
) -> None:
    first = CollectingDispatcher()
    events = await ActionAnswerTopic().run(first, make_tracker(
        "hiv_sti", "donde me hago la prueba de vih", language="es"), {})
    general, question = texts(first)
    assert general == content.topics["hiv_sti"].text["es"]
    assert question.startswith(content.message("ask_country", "es"))
    state = slot_events(events)
    second = CollectingDispatcher()
    number = state["choices"].index("country:Libya") + 1
    events = await ActionHandleFallback().run(second, _choice(
        number, language="es", choices=state["choices"], pending_topic="hiv_sti"), {})
    country_part, services, _ = texts(second)
    assert country_part == content.topics["hiv_sti"].countries["Libya"].text["es"]
    # Libya lists sexual-health services in one city only: no city question.
    assert services.startswith(content.message("directory_title", "es", place="Libia"))
    assert "Community Day Centre" in services
    assert slot_events(events)["country"] == "Libya"


async def test_where_to_go_chosen_before_the_country_asks_it_then_lists_services(
    content: Content,
) -> None:
    """A topic an NGO answers without country parts still leads to the directory."""
    first = CollectingDispatcher()
    events = await ActionHandleFallback().run(first, _choice(1, language="fr",
                                                             choices=["dir:hiv_sti"]), {})
    assert texts(first)[0].startswith(content.message("ask_country", "fr"))
    state = slot_events(events)
    assert state["pending_topic"] == "dir:hiv_sti"
    second = CollectingDispatcher()
    number = state["choices"].index("country:Egypt") + 1
    await ActionHandleFallback().run(second, _choice(
        number, language="fr", choices=state["choices"], pending_topic="dir:hiv_sti"), {})
    services = texts(second)[0]  # Egypt lists sexual-health services in Cairo only
    assert services.startswith(content.message("directory_title", "fr", place="Égypte"))
    assert "MSF" in services.splitlines()[1]


async def test_no_listed_service_means_only_the_answer_and_next_steps(content: Content) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerTopic().run(dispatcher, make_tracker(
        "child_protection", "a child alone", language="en",
        slots={"country": "Yemen", "language": "en"}), {})
    answer, following = texts(dispatcher)
    assert content.message("directory_title", "en", place="Yemen") not in answer + following
    assert following.startswith(content.message("next_title", "en"))
    assert not any(c.startswith("dir:") for c in slot_events(events)["choices"])


async def test_a_city_is_forgotten_when_the_person_names_another_country(
    content: Content,
) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionSetCountry().run(dispatcher, make_tracker(
        "choose_country", "now i am in egypt", language="en",
        entities=[{"entity": "country", "value": "Egypt"}],
        slots={"country": "Morocco", "city": "Rabat", "language": "en"}), {})
    slots = slot_events(events)
    assert slots["country"] == "Egypt" and slots["city"] is None


async def test_deleting_data_resets_the_city_too(content: Content) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionDeleteData().run(dispatcher, make_tracker(
        "delete_data", "delete", language="en",
        slots={"country": "Morocco", "city": "Rabat", "language": "en"}), {})
    assert [e["event"] for e in events] == ["reset_slots", "restart"]


async def test_a_question_about_papers_lists_only_places_known_to_serve_people_without(
    content: Content,
) -> None:
    dispatcher = CollectingDispatcher()
    await ActionAnswerTopic().run(dispatcher, make_tracker(
        "health_rights", "sans papiers je peux me soigner", language="fr",
        slots={"country": "Tunisia", "language": "fr"}), {})
    services = texts(dispatcher)[1]
    entries = [line for line in services.splitlines() if line.startswith("- ")]
    assert entries == ["- Médecins du Monde Tunisie (tout le pays)"]
    assert content.message("attr_serves_undocumented", "fr") in services
