"""Load the words the assistant says from `content/` into typed, immutable objects.

Everything the assistant says is data that NGO staff edit without touching Python:

* `content/topics/<topic>.yml`: one answer per topic intent, a `general` text per language and,
  where the country matters, a part per country, each with its `source`, `confidence` and
  `last_reviewed` date;
* `content/countries.yml`: the facts answers refer to by placeholder (emergency numbers,
  hotlines, partner organisations), each with its source and confidence;
* `content/places.yml` and `content/languages.yml`: the names people use for countries, cities
  and languages;
* `content/messages.yml` and `content/menu.yml`: the conversation's own sentences and menus;
* `content/directory/<country>.yml`: the referral directory (`bot.content.directory`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from bot.content.directory import Directory

# The 20 topic intents of ../shared/docs/intents.md ("health_rights through out_of_scope"),
# each answered from content/topics/<name>.yml.
TOPIC_INTENTS: tuple[str, ...] = (
    "health_rights",
    "health_cost",
    "health_confidentiality",
    "find_health_service",
    "emergency",
    "care_refused",
    "contraception",
    "pregnancy_care",
    "hiv_sti",
    "gbv",
    "trafficking",
    "child_protection",
    "mental_health",
    "infectious_disease",
    "vaccination",
    "subscribe",
    "unsubscribe",
    "delete_data",
    "human_help",
    "out_of_scope",
)
CONFIDENCE_LEVELS = ("high", "medium", "low")
DEFAULT_SMS_SEGMENTS = 6


class ContentError(ValueError):
    """The content files cannot be read; the message names the file and the field."""


@dataclass(frozen=True)
class Provenance:
    """Where a piece of content comes from and how sure we are of it."""

    source: str
    confidence: str
    last_reviewed: dt.date | None
    unverified: bool = False

    @property
    def is_unverified(self) -> bool:
        """Return True for a low-confidence or explicitly unverified entry."""
        return self.unverified or self.confidence == "low"


@dataclass(frozen=True)
class Fact:
    """A fact an answer refers to by placeholder, such as an emergency number."""

    key: str
    value: str
    label: dict[str, str]
    provenance: Provenance


@dataclass(frozen=True)
class CountryPart:
    """The country-specific part of an answer."""

    country: str
    text: dict[str, str]
    provenance: Provenance


@dataclass(frozen=True)
class Topic:
    """The answer to one topic intent."""

    name: str
    title: dict[str, str]
    text: dict[str, str]
    provenance: Provenance
    needs_country: bool
    sms_segments: int
    next: tuple[str, ...]
    countries: dict[str, CountryPart] = field(default_factory=dict)


@dataclass(frozen=True)
class Country:
    """A country the assistant covers, its names, cities and facts."""

    name: str
    code: str
    names: dict[str, str]
    aliases: tuple[str, ...]
    cities: dict[str, tuple[str, ...]]
    facts: dict[str, Fact]


@dataclass(frozen=True)
class Content:
    """All the words of the assistant."""

    root: Path
    languages: tuple[str, ...]
    language_names: dict[str, str]
    language_aliases: dict[str, tuple[str, ...]]
    messages: dict[str, dict[str, str]]
    menus: dict[str, tuple[str, ...]]
    topics: dict[str, Topic]
    countries: dict[str, Country]
    directory: Directory | None = None

    def message(self, key: str, language: str, /, **values: str) -> str:
        """Return interface sentence `key` in `language`, placeholders filled."""
        texts = self.messages[key]
        text = texts.get(language) or texts["en"]
        return text.format(**values) if values else text

    def country_name(self, country: str, language: str) -> str:
        """Return how `language` writes the name of `country`."""
        names = self.countries[country].names
        return names.get(language) or country


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError as error:
        raise ContentError(f"{path}: file missing") from error
    except yaml.YAMLError as error:
        raise ContentError(f"{path}: not valid YAML ({error})") from error


def _date(value: Any, where: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as error:
        raise ContentError(f"{where}: last_reviewed {value!r} is not a YYYY-MM-DD date") from error


def _provenance(raw: dict[str, Any], where: str, inherit: Provenance | None = None) -> Provenance:
    source = raw.get("source", inherit.source if inherit else None)
    confidence = raw.get("confidence", inherit.confidence if inherit else None)
    if not source:
        raise ContentError(f"{where}: no source")
    if confidence not in CONFIDENCE_LEVELS:
        raise ContentError(f"{where}: confidence must be one of {', '.join(CONFIDENCE_LEVELS)}")
    reviewed = _date(raw.get("last_reviewed"), where) if "last_reviewed" in raw else (
        inherit.last_reviewed if inherit else None
    )
    return Provenance(str(source), confidence, reviewed, bool(raw.get("unverified", False)))


def _texts(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw:
        raise ContentError(f"{where}: expected a text per language")
    return {str(lang): str(text).strip() for lang, text in raw.items() if text is not None}


def _load_topic(path: Path) -> Topic:
    raw = _read_yaml(path) or {}
    where = str(path)
    name = raw.get("topic") or path.stem
    provenance = _provenance(raw, where)
    countries = {
        country: CountryPart(
            country,
            _texts(part.get("text"), f"{where}: countries.{country}"),
            _provenance(part, f"{where}: countries.{country}", provenance),
        )
        for country, part in (raw.get("countries") or {}).items()
    }
    return Topic(
        name=name,
        title=_texts(raw.get("title"), f"{where}: title"),
        text=_texts(raw.get("text"), f"{where}: text"),
        provenance=provenance,
        needs_country=bool(raw.get("needs_country", False)),
        sms_segments=int(raw.get("sms_segments", DEFAULT_SMS_SEGMENTS)),
        next=tuple(raw.get("next") or ()),
        countries=countries,
    )


def _load_countries(root: Path) -> dict[str, Country]:
    places = _read_yaml(root / "places.yml") or {}
    facts_file = _read_yaml(root / "countries.yml") or {}
    countries = {}
    for name, place in places.items():
        entry = facts_file.get(name) or {}
        where = f"{root / 'countries.yml'}: {name}"
        facts = {
            key: Fact(
                key,
                str(raw["value"]),
                _texts(raw.get("label"), f"{where}.facts.{key}.label"),
                _provenance(raw, f"{where}.facts.{key}"),
            )
            for key, raw in (entry.get("facts") or {}).items()
        }
        countries[name] = Country(
            name=name,
            code=str(entry.get("code", "")),
            names=_texts(place.get("names"), f"{root / 'places.yml'}: {name}.names"),
            aliases=tuple(str(a) for a in place.get("aliases") or ()),
            cities={
                city: tuple(str(a) for a in aliases)
                for city, aliases in (place.get("cities") or {}).items()
            },
            facts=facts,
        )
    for name in facts_file:
        if name not in countries:
            raise ContentError(f"{root / 'countries.yml'}: {name} is not in places.yml")
    return countries


def load_content(root: Path | str) -> Content:
    """Read every content file below `root`; raise ContentError on a file that cannot be read."""
    # The directory module builds on this one's errors, so it is imported here, not at the top.
    from bot.content.directory import load_directory

    root = Path(root)
    languages_file = _read_yaml(root / "languages.yml") or {}
    supported = languages_file.get("supported") or {}
    languages = tuple(sorted(supported, key=lambda code: supported[code].get("order", 99)))
    messages_file = _read_yaml(root / "messages.yml") or {}
    messages = {
        key: _texts(texts, f"{root / 'messages.yml'}: {key}")
        for key, texts in (messages_file.get("messages") or {}).items()
    }
    menus = {
        name: tuple(items) for name, items in ((_read_yaml(root / "menu.yml") or {}).items())
    }
    topics = {}
    for path in sorted((root / "topics").glob("*.yml")):
        topic = _load_topic(path)
        topics[topic.name] = topic
    return Content(
        root=root,
        languages=languages,
        language_names={code: str(v.get("name", code)) for code, v in supported.items()},
        language_aliases={
            code: tuple(str(a) for a in aliases)
            for code, aliases in (languages_file.get("names") or {}).items()
        },
        messages=messages,
        menus=menus,
        topics=topics,
        countries=_load_countries(root),
        directory=load_directory(root),
    )


@lru_cache(maxsize=4)
def cached_content(root: str) -> Content:
    """Return the content below `root`, read once per process."""
    return load_content(root)
