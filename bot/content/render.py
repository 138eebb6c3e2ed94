"""Turn content into the sentences the assistant sends, in one language, for one country."""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass

from bot import sms
from bot.content.directory import ATTRIBUTES, NATIONAL, Referral, Service
from bot.content.model import Content
from bot.text import is_arabic_letter

_FORMATTER = string.Formatter()


def placeholders(text: str) -> set[str]:
    """Return the names of the {placeholders} in `text`."""
    return {name for _, name, _, _ in _FORMATTER.parse(text) if name}


def fill(text: str, values: dict[str, str]) -> str:
    """Fill `text`'s placeholders; a missing value is a content error, never printed as {x}."""
    missing = placeholders(text) - values.keys()
    if missing:
        raise KeyError(f"no value for placeholder(s) {', '.join(sorted(missing))}")
    return text.format(**values)


@dataclass(frozen=True)
class Answer:
    """The answer to a topic in one language."""

    text: str
    country_missing: bool


def fact_values(content: Content, country: str) -> dict[str, str]:
    """Return the placeholder values of `country`'s facts."""
    return {key: fact.value for key, fact in content.countries[country].facts.items()}


def topic_answer(content: Content, topic: str, language: str, country: str | None) -> Answer:
    """Return the general text of `topic` plus its part for `country` when there is one.

    `country_missing` is True when the topic has country parts and the country is not known:
    the caller then asks for it once and gives the country part afterwards.
    """
    entry = content.topics[topic]
    general = entry.text.get(language) or entry.text["en"]
    if not entry.needs_country:
        return Answer(general, False)
    part = entry.countries.get(country) if country else None
    if part is None:
        return Answer(general, True)
    country_text = fill(part.text.get(language) or part.text["en"], fact_values(content, country))
    return Answer(f"{general}\n{country_text}", False)


def country_part(content: Content, topic: str, language: str, country: str) -> str | None:
    """Return only the part of `topic` for `country`, or None when it has none."""
    part = content.topics[topic].countries.get(country)
    if part is None:
        return None
    return fill(part.text.get(language) or part.text["en"], fact_values(content, country))


def emergency_numbers_all(content: Content, language: str) -> str:
    """Return one line per country with its confirmed ambulance numbers.

    Used when someone reports an emergency before saying where they are: the numbers go out at
    once. A number whose source is unconfirmed is never printed as if it were confirmed.
    """
    lines = [content.message("all_countries_emergency", language)]
    for name, country in content.countries.items():
        numbers = [
            fact.value
            for key in ("ambulance", "samu")
            if (fact := country.facts.get(key)) and not fact.provenance.is_unverified
        ]
        label = " / ".join(numbers) if numbers else content.message("no_confirmed_number", language)
        lines.append(f"{content.country_name(name, language)}: {label}")
    return "\n".join(lines)


def numbered(title: str, labels: list[str]) -> str:
    """Return a numbered list that works on plain SMS ("1 ...", "2 ...")."""
    return "\n".join([title, *(f"{index} {label}" for index, label in enumerate(labels, 1))])


def city_name(content: Content, country: str, city: str, language: str) -> str:
    """Return how `language` writes `city` (Arabic uses the first Arabic spelling listed)."""
    if city == NATIONAL:
        return content.message("directory_national", language)
    if language == "ar":
        aliases = content.countries[country].cities.get(city, ())
        arabic = next((a for a in aliases if any(is_arabic_letter(ch) for ch in a)), None)
        if arabic:
            return arabic
    return city


def service_entry(content: Content, entry: Service, language: str, today: dt.date,
                  max_age_days: int) -> str:
    """Return one directory entry as two or three short lines.

    An unconfirmed entry says so on its own line. Staleness is not repeated per entry: the block
    that holds an entry verified longer ago than `max_age_days` (or never) ends once with "call
    before you go" (`services_text`), which is what a person can do about it.
    """
    where = city_name(content, entry.country, entry.city, language)
    contacts = [*entry.phone, *(f"WhatsApp {number}" for number in entry.whatsapp)]
    if entry.web:
        contacts.append(entry.web)
    head = f"- {entry.organisation} ({where})"
    if contacts:
        head += ": " + " / ".join(contacts)
    details = [entry.note.get(language) or entry.note.get("en", "")]
    if entry.address:
        details.append(f"{entry.address}.")
    hours = entry.hours.get(language) or entry.hours.get("en")
    if hours:
        details.append(content.message("directory_hours", language, hours=hours))
    if entry.cost != "unknown":
        details.append(content.message(f"cost_{entry.cost}", language))
    for name in ATTRIBUTES:
        if entry.attributes.get(name) is True:
            details.append(content.message(f"attr_{name}", language))
    if entry.attributes.get("serves_undocumented") is False:
        details.append(content.message("attr_not_serves_undocumented", language))
    if entry.languages:
        spoken = ", ".join(content.language_names.get(code, code) for code in entry.languages)
        details.append(content.message("directory_languages", language, languages=spoken))
    lines = [head, " ".join(d for d in details if d)]
    if entry.is_unverified:
        lines.append(content.message("directory_unconfirmed", language))
    return "\n".join(line for line in lines if line)


def needs_check(entry: Service, today: dt.date, max_age_days: int) -> bool:
    """Return True when an entry is unconfirmed, or verified too long ago or never."""
    return entry.is_unverified or entry.is_stale(today, max_age_days)


def services_text(content: Content, entries: list[Service], language: str, place: str,
                  today: dt.date, max_age_days: int) -> str:
    """Return a titled block of directory entries for `place`.

    When an entry is flagged, the block ends once with the advice to call first, rather than
    each entry repeating it: the block is sent by SMS too.
    """
    return referral_text(content, Referral(tuple(entries)), language, place, place, today,
                         max_age_days)


def referral_text(content: Content, found: Referral, language: str, place: str,
                  country_place: str, today: dt.date, max_age_days: int) -> str:
    """Return the answer to "where" for `place`: its services, or plainly that none is known.

    With no service in the city itself the block says so before the country's lines; with no
    reachable service at all it says none is known. Either way, when no service shown has a
    number, the national lines with one follow (`Referral.fallback`). "Call before you go"
    closes the block once when any entry in it is unconfirmed or old.
    """
    lines: list[str] = []
    if found.entries:
        if found.elsewhere:
            lines.append(content.message("directory_elsewhere", language, place=place))
        title_place = country_place if found.elsewhere else place
        lines.append(content.message("directory_title", language, place=title_place))
        lines += [service_entry(content, e, language, today, max_age_days)
                  for e in found.entries]
    else:
        lines.append(content.message("directory_none_known", language, place=place))
    if found.fallback:
        lines.append(content.message("directory_national_lines", language))
        lines += [service_entry(content, e, language, today, max_age_days)
                  for e in found.fallback]
    if any(needs_check(e, today, max_age_days) for e in (*found.entries, *found.fallback)):
        lines.append(content.message("directory_call_first", language))
    return "\n".join(lines)


# The most SMS segments one "where" block may cost: three in GSM-7 (English, French, Spanish
# once folded), five in UCS-2 (Arabic, whose segments hold 67 characters instead of 153). A
# person on little credit pays for each one; the rest of the list is a "more" away.
DIRECTORY_SEGMENTS: dict[str, int] = {"GSM-7": 3, "UCS-2": 5}


def referral_page(content: Content, found: Referral, offset: int, page_size: int,
                  language: str, place: str, country_place: str, today: dt.date,
                  max_age_days: int) -> tuple[Referral, str]:
    """Return the page of `found` that starts at `offset`, and its text, within the SMS budget.

    At most `page_size` entries, fewer when the block would cost more than
    `DIRECTORY_SEGMENTS` as sent by SMS (accents GSM-7 lacks folded), never fewer than one.
    The "elsewhere" sentence and the national lines with a number come on the first page only.
    """
    entries = found.entries[offset:offset + page_size]
    for count in range(len(entries), 0, -1):
        shown = Referral(entries[:count], elsewhere=found.elsewhere and not offset,
                         fallback=() if offset else found.fallback)
        text = referral_text(content, shown, language, place, country_place, today,
                             max_age_days)
        folded = sms.gsm_fold(text)
        if count == 1 or sms.segments(folded) <= DIRECTORY_SEGMENTS[sms.encoding(folded)]:
            return shown, text
    shown = Referral((), fallback=() if offset else found.fallback)
    return shown, referral_text(content, shown, language, place, country_place, today,
                                max_age_days)
