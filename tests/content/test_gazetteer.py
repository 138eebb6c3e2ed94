"""Countries, cities and language names as people write them."""

import pytest

from bot.content import load_content
from bot.content.gazetteer import Gazetteer
from bot.paths import CONTENT_DIR


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer(load_content(CONTENT_DIR))


@pytest.mark.parametrize(
    "text, country",
    [
        ("je suis a casablanca", "Morocco"),
        ("ana f lmghrib", "Morocco"),
        ("أنا بالمغرب", "Morocco"),
        ("estoy en Tánger", "Morocco"),
        ("بفاس", "Morocco"),
        ("في الدار البيضاء", "Morocco"),
        ("I am in Sfax", "Tunisia"),
        ("je suis à Médenine", "Tunisia"),
        ("fi masr", "Egypt"),
        ("j'habite au Caire", "Egypt"),
        ("ana fel eskendereya", "Egypt"),
        ("in tripoli now", "Libya"),
        ("بنغازي", "Libya"),
        ("we are in Sana'a", "Yemen"),
        ("عدن", "Yemen"),
    ],
)
def test_countries_and_their_cities(gazetteer: Gazetteer, text: str, country: str) -> None:
    assert gazetteer.countries(text) == [country]


@pytest.mark.parametrize("text", ["estoy en casa", "the sale is over", "hello", "Sudan"])
def test_ordinary_words_are_not_places(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.countries(text) == []


@pytest.mark.parametrize(
    "text, code",
    [("I want French", "fr"), ("بالعربية من فضلك", "ar"), ("habla español?", "es"),
     ("in english pls", "en"), ("darija 3afak", "ar"), ("tigrinya", "ti")],
)
def test_language_names(gazetteer: Gazetteer, text: str, code: str) -> None:
    assert gazetteer.languages(text) == [code]
