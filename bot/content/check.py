"""Check the content before it reaches people: `migrant-bot content check`.

Errors (the check fails): a topic missing or missing a language, a country part missing, a
placeholder that differs between translations or has no value for the country, an answer over
its SMS budget, a `next` topic that does not exist, a place name given to two countries.
Warnings (errors with `strict`): an entry whose review date is older than the allowed age, an
unverified (low-confidence) entry or fact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot import sms
from bot.content.model import TOPIC_INTENTS, Content, ContentError, Provenance, load_content
from bot.content.render import fact_values, placeholders
from bot.text import arabic_variants, tokens


@dataclass(frozen=True)
class Finding:
    """One problem found in the content."""

    level: str  # "error" or "warning"
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.level.upper()}: {self.where}: {self.message}"


def check_content(
    root: Path | str,
    *,
    max_age_days: int = 365,
    today: dt.date | None = None,
    strict: bool = False,
) -> list[Finding]:
    """Return every finding for the content below `root`; see the module docstring."""
    try:
        content = load_content(root)
    except ContentError as error:
        return [Finding("error", str(root), str(error))]
    today = today or dt.date.today()
    findings = list(_check(content, max_age_days, today))
    if strict:
        findings = [Finding("error", f.where, f.message) for f in findings]
    return findings


def _check(content: Content, max_age_days: int, today: dt.date) -> Iterator[Finding]:
    languages = content.languages
    if not languages:
        yield Finding("error", "languages.yml", "no supported language")
        return
    yield from _check_messages(content)
    yield from _check_menus(content)
    yield from _check_places(content)
    for country in content.countries.values():
        for fact in country.facts.values():
            where = f"countries.yml: {country.name}.facts.{fact.key}"
            yield from _check_provenance(fact.provenance, where, max_age_days, today)
            for language in languages:
                if language not in fact.label:
                    yield Finding("error", where, f"label missing in {language}")
    for topic_name in TOPIC_INTENTS:
        topic = content.topics.get(topic_name)
        where = f"topics/{topic_name}.yml"
        if topic is None:
            yield Finding("error", where, "topic missing")
            continue
        yield from _check_provenance(topic.provenance, where, max_age_days, today)
        yield from _check_translations(topic.text, languages, where)
        yield from _check_translations(topic.title, languages, f"{where}: title")
        for name in topic.next:
            if name not in content.topics:
                yield Finding("error", where, f"next topic {name!r} does not exist")
        if not topic.needs_country:
            yield from _check_budget(topic.text, None, topic.sms_segments, where)
            continue
        for country in content.countries:
            part = topic.countries.get(country)
            part_where = f"{where}: countries.{country}"
            if part is None:
                yield Finding("error", part_where, "country part missing")
                continue
            yield from _check_provenance(part.provenance, part_where, max_age_days, today)
            yield from _check_translations(part.text, languages, part_where)
            values = fact_values(content, country)
            facts = content.countries[country].facts
            for language, text in part.text.items():
                for name in sorted(placeholders(text)):
                    if name not in values:
                        yield Finding("error", part_where,
                                      f"{language}: no fact {{{name}}} for {country}")
                    elif facts[name].provenance.is_unverified:
                        yield Finding("warning", part_where,
                                      f"{language}: uses unverified fact {{{name}}}")
            yield from _check_budget(topic.text, part.text, topic.sms_segments, part_where, values)
    for name in content.topics:
        if name not in TOPIC_INTENTS:
            yield Finding("error", f"topics/{name}.yml", "not a topic intent of intents.md")


def _check_provenance(
    provenance: Provenance, where: str, max_age_days: int, today: dt.date
) -> Iterator[Finding]:
    if provenance.is_unverified:
        yield Finding("warning", where, f"unverified (confidence {provenance.confidence})")
    if provenance.last_reviewed is None:
        yield Finding("warning", where, "no last_reviewed date")
    elif (today - provenance.last_reviewed).days > max_age_days:
        yield Finding("warning", where,
                      f"last reviewed {provenance.last_reviewed}, over {max_age_days} days ago")


def _check_translations(texts: dict[str, str], languages: tuple[str, ...],
                        where: str) -> Iterator[Finding]:
    reference_language = languages[0]
    for language in languages:
        if not texts.get(language):
            yield Finding("error", where, f"missing in {language}")
    reference = texts.get(reference_language)
    if reference is None:
        return
    expected = placeholders(reference)
    for language, text in texts.items():
        found = placeholders(text)
        if found != expected:
            yield Finding(
                "error", where,
                f"{language}: placeholders {sorted(found)} differ from "
                f"{reference_language} {sorted(expected)}",
            )


def _check_budget(general: dict[str, str], part: dict[str, str] | None, budget: int,
                  where: str, values: dict[str, str] | None = None) -> Iterator[Finding]:
    for language, text in general.items():
        full = text
        if part is not None and part.get(language):
            try:
                full = f"{text}\n{part[language].format(**(values or {}))}"
            except (KeyError, IndexError, ValueError):
                continue  # reported as a placeholder error
        count = sms.segments(full)
        if count > budget:
            yield Finding("error", where,
                          f"{language}: {count} SMS segments ({sms.encoding(full)}, "
                          f"{sms.units(full)} units), budget {budget}")


def _check_messages(content: Content) -> Iterator[Finding]:
    for key, texts in content.messages.items():
        yield from _check_translations(texts, content.languages, f"messages.yml: {key}")


def _check_menus(content: Content) -> Iterator[Finding]:
    for menu, items in content.menus.items():
        for item in items:
            kind, _, name = item.partition(":")
            known = (kind == "topic" and name in content.topics) or (
                kind == "menu" and name in content.menus
            )
            if not known:
                yield Finding("error", f"menu.yml: {menu}", f"unknown item {item!r}")
            if kind == "menu" and f"menu_{name}" not in content.messages:
                yield Finding("error", f"menu.yml: {menu}", f"no label menu_{name} in messages")


def _check_places(content: Content) -> Iterator[Finding]:
    owner: dict[str, str] = {}
    for country in content.countries.values():
        names = [*country.aliases, *(a for aliases in country.cities.values() for a in aliases)]
        for name in names:
            key = " ".join(arabic_variants(t)[-1] for t in tokens(name))
            if key in owner and owner[key] != country.name:
                yield Finding("error", "places.yml",
                              f"{name!r} names both {owner[key]} and {country.name}")
            owner[key] = country.name
