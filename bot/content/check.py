"""Check the content before it reaches people: `migrant-bot content check`.

Errors (the check fails): a topic missing or missing a language, a country part missing, a
placeholder that differs between translations or has no value for the country, an answer over
its SMS budget, a `next` topic that does not exist, a place name given to two countries; in the
referral directory, a missing field, an unknown city, service type, attribute or cost, a phone
number people cannot dial (E.164 with the country's code, a short code or a toll-free number), a
note or opening hours missing a language, the same id twice.
Warnings (errors with `strict`): an entry whose review date is older than the allowed age, an
unverified (low-confidence) entry or fact, a directory entry whose last verification is older
than the directory's allowed age or unknown, or that gives no way to reach it, a country without
a directory.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot import sms
from bot.content import translations
from bot.content.directory import (
    ATTRIBUTES,
    COSTS,
    DIRECTORY_MAX_AGE_DAYS,
    NATIONAL,
    SERVICE_TYPES,
    CountryDirectory,
    Service,
    phone_problem,
    referral,
)
from bot.content.model import (
    CONFIDENCE_LEVELS,
    TOPIC_INTENTS,
    Content,
    ContentError,
    Provenance,
    load_content,
)
from bot.content.phrasings import load_phrasings, normalise, phrasing_problems
from bot.content.render import fact_values, placeholders
from bot.nlu.examples import read_examples
from bot.paths import NLU_DATA_DIR
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
    directory_max_age_days: int | None = None,
) -> list[Finding]:
    """Return every finding for the content below `root`; see the module docstring."""
    try:
        content = load_content(root)
    except ContentError as error:
        return [Finding("error", str(root), str(error))]
    today = today or dt.date.today()
    directory_age = (DIRECTORY_MAX_AGE_DAYS if directory_max_age_days is None
                     else directory_max_age_days)
    findings = list(_check(content, max_age_days, today))
    findings += check_directory(content, today=today, max_age_days=directory_age)
    findings += check_phrasings(Path(root), content.languages)
    findings += check_review(content)
    if strict:
        findings = [Finding("error", f.where, f.message) for f in findings]
    return findings


def check_review(content: Content) -> list[Finding]:
    """Warn about each language with texts no native speaker reviewed; check the numbers.

    A translation must say what the English says: the same figures (phone numbers, days, ages,
    years), so a text whose numbers differ from the English is an error in any language. Opening
    hours are written each language's way ("9:00-17:00", "9h-17h", "24/7", "24h/24") and are
    left to the reviewer.
    """
    try:
        statuses = translations.load_translations(content.root)
    except ContentError as error:
        return [Finding("error", translations.TRANSLATIONS_FILE, str(error))]
    findings = []
    every = translations.texts(content)
    for language, status in statuses.items():
        if language not in content.languages:
            findings.append(Finding("error", translations.TRANSLATIONS_FILE,
                                    f"{language} is not a supported language"))
        unknown = sorted(status.reviewed - set(every))
        if unknown:
            findings.append(Finding("error", f"{translations.TRANSLATIONS_FILE}: {language}",
                                    f"reviewed keys that name no text: {', '.join(unknown)}"))
    for language, result in translations.review(content, statuses).items():
        if result.unreviewed:
            findings.append(Finding(
                "warning", f"{translations.TRANSLATIONS_FILE}: {language}",
                f"{len(result.unreviewed)} of {result.total} texts not reviewed by a native "
                f"speaker (translation: unreviewed, {result.written}); "
                "`content coverage` lists them"))
    for key, value in every.items():
        if key.endswith("/hours"):
            continue
        expected = figures(value.get("en", ""))
        for language, text in value.items():
            if language != "en" and figures(text) != expected:
                findings.append(Finding(
                    "error", key, f"{language}: numbers {sorted(figures(text))} differ from "
                    f"en {sorted(expected)}"))
    return findings


def figures(text: str) -> set[str]:
    """Return the numbers a text prints (digit runs; spaces and dots inside a number ignored)."""
    return set(re.findall(r"\d+", re.sub(r"(?<=\d)[ .](?=\d)", "", text)))


def check_phrasings(root: Path, languages: tuple[str, ...],
                    training_dir: Path = NLU_DATA_DIR) -> list[Finding]:
    """Return an error for each staff phrasing that must not be trained on (`phrasings`)."""
    try:
        files = load_phrasings(root)
    except ContentError as error:
        return [Finding("error", "phrasings/", str(error))]
    trained = {normalise(text) for path in sorted(training_dir.rglob("*.yml"))
               for text, _ in read_examples(path)}
    return [Finding("error", where, problem)
            for where, problem in phrasing_problems(files, languages, trained)]


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
        full = sms.gsm_fold(full)  # as the SMS channel sends it
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


def check_directory(content: Content, *, today: dt.date, max_age_days: int) -> list[Finding]:
    """Return the findings of the referral directory (see the module docstring)."""
    findings: list[Finding] = []
    directory = content.directory
    countries = directory.countries if directory else {}
    for name in content.countries:
        if name not in countries:
            findings.append(Finding("warning", "directory/", f"no directory for {name}"))
    seen: dict[str, str] = {}
    for country_directory in countries.values():
        where = f"directory/{country_directory.path.name if country_directory.path else ''}"
        if country_directory.country not in content.countries:
            findings.append(Finding("error", where,
                                    f"{country_directory.country} is not in places.yml"))
            continue
        if not country_directory.calling_code.isdigit():
            findings.append(Finding("error", where, "calling_code must be digits, e.g. '212'"))
        for entry in country_directory.entries:
            entry_where = f"{where}: {entry.id}"
            if entry.id in seen:
                findings.append(Finding("error", entry_where, f"id also used in {seen[entry.id]}"))
            seen[entry.id] = where
            findings += [Finding(level, entry_where, message) for level, message in
                         entry_findings(content, country_directory, entry, today, max_age_days)]
        findings += unreachable_blocks(content, country_directory.country, where, today,
                                       max_age_days)
    return findings


def unreachable_blocks(content: Content, country: str, where: str, today: dt.date,
                       max_age_days: int) -> list[Finding]:
    """Return an error for each "where" answer that could give no way to reach anyone.

    A service type with entries in the country is offered after its topics; asked from any city
    of places.yml (or none), the answer must list a reachable service or a national line.
    """
    assert content.directory is not None
    offered = dict.fromkeys(s for e in content.directory.entries(country) for s in e.services)
    findings = []
    for service in offered:
        for city in (None, *content.countries[country].cities):
            found = referral(content.directory, country, service, city=city, today=today,
                             max_age_days=max_age_days)
            if not found.reaches_someone:
                findings.append(Finding(
                    "error", where, f"a {service} answer for {city or 'the whole country'} "
                    "gives no phone, WhatsApp, web or address and there is no national line "
                    "with a number"))
                break
    return findings


def entry_findings(content: Content, country_directory: CountryDirectory, entry: Service,
                   today: dt.date, max_age_days: int) -> list[tuple[str, str]]:
    """Return (level, message) for every problem of one directory entry."""
    problems: list[tuple[str, str]] = []
    cities = content.countries[country_directory.country].cities
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", entry.id):
        problems.append(("error", "id must be lower-case letters, digits and dashes"))
    if entry.city != NATIONAL and entry.city not in cities:
        problems.append(("error", f"unknown city {entry.city!r} (a city of places.yml for "
                                  f"{country_directory.country}, or {NATIONAL!r})"))
    if not entry.services:
        problems.append(("error", "no service type"))
    for service in entry.services:
        if service not in SERVICE_TYPES:
            problems.append(("error", f"unknown service type {service!r} "
                                      f"(one of {', '.join(SERVICE_TYPES)})"))
    for name in entry.attributes:
        if name not in ATTRIBUTES:
            problems.append(("error", f"unknown attribute {name!r} "
                                      f"(one of {', '.join(ATTRIBUTES)})"))
    if entry.cost not in COSTS:
        problems.append(("error", f"unknown cost {entry.cost!r} (one of {', '.join(COSTS)})"))
    if entry.confidence not in CONFIDENCE_LEVELS:
        problems.append(("error", f"confidence must be one of {', '.join(CONFIDENCE_LEVELS)}"))
    for number in (*entry.phone, *entry.whatsapp):
        problem = phone_problem(number, country_directory.calling_code)
        if problem:
            problems.append(("error", problem))
    for number in entry.whatsapp:
        if not number.startswith("+"):
            problems.append(("error", f"WhatsApp {number!r} must be E.164 (+...)"))
    for code in entry.languages:
        if not re.fullmatch(r"[a-z]{2,3}", code):
            problems.append(("error", f"language {code!r} is not an ISO 639 code such as 'fr'"))
    for language in content.languages:
        if not entry.note.get(language):
            problems.append(("error", f"note missing in {language}"))
        if entry.hours and not entry.hours.get(language):
            problems.append(("error", f"hours missing in {language}"))
    if entry.verified_on and entry.verified_on > today:
        problems.append(("error", f"last_verified {entry.last_verified} is in the future"))
    if not (entry.phone or entry.whatsapp or entry.web or entry.address):
        problems.append(("warning", "no phone, WhatsApp, web or address: never shown to people"))
    if entry.is_unverified:
        problems.append(("warning", f"unverified (confidence {entry.confidence})"))
    if entry.last_verified is None:
        problems.append(("warning", "never verified (no last_verified date): answers say so"))
    elif entry.is_stale(today, max_age_days):
        problems.append(("warning", f"last verified {entry.last_verified}, over {max_age_days} "
                                    "days ago: answers say so"))
    return problems
