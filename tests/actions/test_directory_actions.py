"""'Where can I get X near Y' on real Tracker and CollectingDispatcher objects.

The actions read a small made-up directory (`tests/data/directory/`) in place of the shipped
one, so these tests check how "where" is answered, whatever the research finds next; the shipped
directory has its own tests in tests/content/test_directory.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.choose_country import ActionSetCountry
from bot.actions.fallback import ActionHandleFallback
from bot.actions.privacy import ActionDeleteData
from bot.actions.topics import ActionAnswerTopic
from bot.content import Content, load_content
from bot.paths import CONTENT_DIR, REPO_ROOT
from bot.settings import get_settings
from tests.actions.conftest import make_tracker, slot_events, texts

FIXTURE_DIRECTORY = REPO_ROOT / "tests" / "data" / "directory"


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Content]:
    """Return the shipped content with the made-up directory, and point the actions at it."""
    root = tmp_path_factory.mktemp("content") / "content"
    shutil.copytree(CONTENT_DIR, root)
    shutil.rmtree(root / "directory")
    shutil.copytree(FIXTURE_DIRECTORY, root / "directory", ignore=shutil.ignore_patterns("*.md"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONTENT_DIR", str(root))
        get_settings.cache_clear()
        yield load_content(root)
    get_settings.cache_clear()


def _lines(block: str) -> list[str]:
    return [line for line in block.splitlines() if line.startswith("- ")]


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
    # Three at a time: the city's own, recently verified first; Tunis is not listed, and the
    # centre with no way to reach it never is.
    assert [line.split(" (")[0] for line in _lines(services)] == [
        "- Centre Beta", "- Centre Gamma", "- Clinique Alpha"]
    assert "Delta" not in services and "Epsilon" not in services
    # Alpha was verified in 2020: the block says "call first" once, at its end.
    assert services.count(content.message("directory_call_first", "fr")) == 1
    assert services.endswith(content.message("directory_call_first", "fr"))
    slots = slot_events(events)
    assert slots["city"] == "Sfax" and slots["country"] == "Tunisia"
    assert slots["choices"][0] == "dir:contraception:Sfax:3"
    assert following.splitlines()[1] == "1 " + content.message("directory_more", "fr", count="1")


async def test_more_shows_the_next_services_without_repeating(content: Content) -> None:
    first, second = CollectingDispatcher(), CollectingDispatcher()
    slots = {"country": "Morocco", "city": "Rabat", "language": "en"}
    events = await ActionAnswerTopic().run(first, make_tracker(
        "find_health_service", "clinic in rabat", language="en", slots=slots), {})
    choices = slot_events(events)["choices"]
    assert choices[0] == "dir:find_health_service:Rabat:3"
    await ActionHandleFallback().run(second, _choice(1, **slots, choices=choices), {})
    page_one = _lines(texts(first)[1])
    page_two = _lines(texts(second)[0])
    assert [line.split(":")[0] for line in page_one] == [
        "- Centre A (Rabat)", "- Centre B (Rabat)", "- Centre C (Rabat)"]
    assert page_two == ["- Centre D (Rabat): +212537000004"]


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
    assert [c for c in state["choices"] if c.startswith("city:")] == [
        "city:Rabat", "city:Tangier", "city:Oujda", "city:national"]
    number = state["choices"].index("city:Oujda") + 1

    answered = CollectingDispatcher()
    events = await ActionHandleFallback().run(answered, _choice(
        number, **slots, choices=state["choices"], pending_topic=state["pending_topic"]), {})
    services = texts(answered)[0]
    assert services.startswith(content.message("directory_title", "ar", place="وجدة"))
    assert "+212661193703" in services
    # The entry's source has no date: the block ends with "call before you go".
    assert services.endswith(content.message("directory_call_first", "ar"))
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
    assert services.splitlines()[1].startswith("- Caritas (طنجة): +212539000001")
    assert slot_events(events)["city"] == "Tangier"


async def test_a_city_the_nlu_missed_still_answers_a_pending_question(content: Content) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "nlu_fallback", "sfax", language="fr",
        entities=[{"entity": "country", "value": "Tunisia"}],
        slots={"country": "Tunisia", "language": "fr", "pending_topic": "dir:gbv"})
    events = await ActionHandleFallback().run(dispatcher, tracker, {})
    assert texts(dispatcher)[0].splitlines()[1].startswith("- Centre Beta (Sfax)")
    assert slot_events(events)["city"] == "Sfax"


async def test_a_city_with_nothing_says_so_before_the_lines_for_the_whole_country(
    content: Content,
) -> None:
    dispatcher = CollectingDispatcher()
    await ActionAnswerTopic().run(dispatcher, make_tracker(
        "mental_health", "je stresse beaucoup", language="fr",
        slots={"country": "Tunisia", "city": "Sfax", "language": "fr"}), {})
    services = next(t for t in texts(dispatcher)
                    if t.startswith(content.message("directory_elsewhere", "fr", place="Sfax")))
    assert services.splitlines()[1] == content.message("directory_title", "fr", place="Tunisie")
    assert _lines(services)[0].startswith("- Ligne d'écoute (tout le pays): 1809")


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
    # Libya lists sexual-health services in one city only: no city question. The centre has
    # an address and no number, so the national line with a number follows it.
    assert services.startswith(content.message("directory_title", "es", place="Libia"))
    lines = services.splitlines()
    assert lines[1].startswith("- Community Day Centre")
    national = lines.index(content.message("directory_national_lines", "es"))
    assert lines[national + 1].startswith("- Helpline (todo el país): 1417")
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
    assert services.splitlines()[1].startswith("- MSF (Cairo): +20225000001")


async def test_no_way_to_reach_anyone_means_only_the_answer_and_next_steps(
    content: Content,
) -> None:
    """Yemen's made-up directory has no child-protection service and no line with a number."""
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerTopic().run(dispatcher, make_tracker(
        "child_protection", "a child alone", language="en",
        slots={"country": "Yemen", "language": "en"}), {})
    answer, following = texts(dispatcher)
    assert content.message("directory_title", "en", place="Yemen") not in answer + following
    assert following.startswith(content.message("next_title", "en"))
    assert not any(c.startswith("dir:") for c in slot_events(events)["choices"])


async def test_no_service_for_the_topic_still_gives_a_national_line_with_a_number(
    content: Content,
) -> None:
    """Morocco's made-up directory has no trafficking service: the women's line is given."""
    dispatcher = CollectingDispatcher()
    await ActionAnswerTopic().run(dispatcher, make_tracker(
        "trafficking", "they took my passport", language="en",
        slots={"country": "Morocco", "language": "en"}), {})
    services = next(t for t in texts(dispatcher) if t.startswith(
        content.message("directory_none_known", "en", place="Morocco")))
    lines = services.splitlines()
    assert lines[1] == content.message("directory_national_lines", "en")
    assert lines[2].startswith("- Ligne femmes (whole country): 8350")


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
    assert _lines(services) == ["- Médecins du Monde Tunisie (tout le pays): medecinsdumonde.tn"]
    assert content.message("attr_serves_undocumented", "fr") in services
