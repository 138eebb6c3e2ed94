"""What the content covers, per country and language: `migrant-bot content coverage`.

Then, per language, how many of the texts the assistant sends are translated and how many of
those a native speaker reviewed (`bot.content.translations`); `--by translation` lists every
untranslated or unreviewed text.

For each country and language, each topic is *present* when the person gets its whole answer in
that language (the general text and, where the country matters, the country part), *verified*
when neither the answer nor a fact it prints is unverified (low confidence), and *stale* when a
review date is missing or older than the allowed age. Each service type of the directory counts
its entries *present* (with a note in that language), *verified* (confirmed and verified within
the directory's allowed age) and *stale* (verified longer ago, or never).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from bot.content.directory import DIRECTORY_MAX_AGE_DAYS, NATIONAL, SERVICE_TYPES
from bot.content.model import TOPIC_INTENTS, Content, Provenance
from bot.content.render import placeholders
from bot.content.translations import LanguageReview


@dataclass(frozen=True)
class CoverageRow:
    """One topic or service type for one country and language."""

    country: str
    language: str
    kind: str  # "topic" or "service"
    name: str
    present: int
    verified: int
    stale: int


def _stale(provenance: Provenance, today: dt.date, max_age_days: int) -> bool:
    reviewed = provenance.last_reviewed
    return reviewed is None or (today - reviewed).days > max_age_days


def coverage(content: Content, *, today: dt.date | None = None, max_age_days: int = 365,
             directory_max_age_days: int = DIRECTORY_MAX_AGE_DAYS) -> list[CoverageRow]:
    """Return one row per country, language and topic or service type."""
    today = today or dt.date.today()
    rows = []
    for country in content.countries:
        facts = content.countries[country].facts
        for language in content.languages:
            for name in TOPIC_INTENTS:
                topic = content.topics.get(name)
                if topic is None:
                    rows.append(CoverageRow(country, language, "topic", name, 0, 0, 0))
                    continue
                provenances = [topic.provenance]
                present = bool(topic.text.get(language))
                used: set[str] = set()
                if topic.needs_country:
                    part = topic.countries.get(country)
                    present = present and part is not None and bool(part.text.get(language))
                    if part is not None:
                        provenances.append(part.provenance)
                        used = placeholders(part.text.get(language, ""))
                provenances += [facts[key].provenance for key in used if key in facts]
                verified = present and not any(p.is_unverified for p in provenances)
                stale = present and any(_stale(p, today, max_age_days) for p in provenances)
                rows.append(CoverageRow(country, language, "topic", name, int(present),
                                        int(verified), int(stale)))
            entries = content.directory.entries(country) if content.directory else ()
            for service in SERVICE_TYPES:
                offered = [e for e in entries if service in e.services and e.note.get(language)]
                stale_entries = [e for e in offered if e.is_stale(today, directory_max_age_days)]
                verified_entries = [e for e in offered
                                    if not e.is_unverified and e not in stale_entries]
                rows.append(CoverageRow(country, language, "service", service, len(offered),
                                        len(verified_entries), len(stale_entries)))
    return rows


def coverage_csv(rows: list[CoverageRow]) -> str:
    """Return the rows as CSV."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["country", "language", "kind", "name", "present", "verified", "stale"])
    for r in rows:
        writer.writerow([r.country, r.language, r.kind, r.name, r.present, r.verified, r.stale])
    return out.getvalue()


def coverage_text(rows: list[CoverageRow]) -> str:
    """Return a summary: one line per country and language, then what is missing."""
    lines = [f"{'country':<9} {'lang':<4} {'topics present/verified/stale':<30} "
             f"{'services present/verified/stale':<32} service types with nothing"]
    keys = list(dict.fromkeys((r.country, r.language) for r in rows))
    for country, language in keys:
        mine = [r for r in rows if (r.country, r.language) == (country, language)]
        topics = [r for r in mine if r.kind == "topic"]
        services = [r for r in mine if r.kind == "service"]
        missing_topics = [r.name for r in topics if not r.present]
        empty = [r.name for r in services if not r.present]
        topic_counts = (f"{sum(r.present for r in topics)}/{sum(r.verified for r in topics)}/"
                        f"{sum(r.stale for r in topics)} of {len(topics)}")
        service_counts = (f"{sum(r.present for r in services)}/"
                          f"{sum(r.verified for r in services)}/{sum(r.stale for r in services)}")
        line = (f"{country:<9} {language:<4} {topic_counts:<30} {service_counts:<32} "
                f"{', '.join(empty) or '-'}")
        if missing_topics:
            line += f"; topics missing: {', '.join(missing_topics)}"
        lines.append(line)
    lines.append("services are counted once per service type they offer; stale = verified "
                 "longer ago than the allowed age, or never")
    return "\n".join(lines)


HEALTH_SERVICES: tuple[str, ...] = ("primary_care", "srhr")
PROTECTION_SERVICES: tuple[str, ...] = ("gbv", "child_protection", "trafficking")


@dataclass(frozen=True)
class CityRow:
    """One service type in one city: what a person asking "where" there can be given."""

    country: str
    city: str  # a city of places.yml, or "national"
    service: str
    services: int  # entries in the city offering it
    with_number: int  # of which with a phone or WhatsApp number
    verified: int  # of which with a number, confirmed and verified within the allowed age


def city_coverage(content: Content, *, today: dt.date | None = None,
                  directory_max_age_days: int = DIRECTORY_MAX_AGE_DAYS) -> list[CityRow]:
    """Return one row per country, city (and `national`) and service type."""
    today = today or dt.date.today()
    rows = []
    for country, place in content.countries.items():
        entries = content.directory.entries(country) if content.directory else ()
        for city in (*place.cities, NATIONAL):
            here = [e for e in entries if e.city == city]
            for service in SERVICE_TYPES:
                offered = [e for e in here if service in e.services]
                numbered = [e for e in offered if e.phone or e.whatsapp]
                verified = [e for e in numbered if not e.is_unverified
                            and not e.is_stale(today, directory_max_age_days)]
                rows.append(CityRow(country, city, service, len(offered), len(numbered),
                                    len(verified)))
    return rows


def city_coverage_csv(rows: list[CityRow]) -> str:
    """Return the per-city rows as CSV."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["country", "city", "service", "services", "with_number", "verified"])
    for r in rows:
        writer.writerow([r.country, r.city, r.service, r.services, r.with_number, r.verified])
    return out.getvalue()


def city_coverage_text(rows: list[CityRow]) -> str:
    """Return one line per city: counts, and whether health and protection can be reached.

    "national" means the city has none of its own with a number but a line for the whole country
    answers; "NONE" means a person there gets no number at all for that need.
    """
    lines = [f"{'country':<9} {'city':<13} {'services/with number/verified':<31} "
             f"{'health':<9} {'protection':<11} service types with no number here"]
    national = {(r.country, r.service): r.with_number for r in rows if r.city == NATIONAL}
    keys = list(dict.fromkeys((r.country, r.city) for r in rows))
    for country, city in keys:
        mine = [r for r in rows if (r.country, r.city) == (country, city)]
        total = {name: sum(getattr(r, name) for r in mine)
                 for name in ("services", "with_number", "verified")}

        def reach(services: tuple[str, ...], rows: list[CityRow] = mine,
                  country: str = country) -> str:
            if any(r.with_number for r in rows if r.service in services):
                return "yes"
            if any(national.get((country, s)) for s in services):
                return "national"
            return "NONE"

        counts = f"{total['services']}/{total['with_number']}/{total['verified']}"
        empty = [r.service for r in mine if not r.with_number]
        lines.append(f"{country:<9} {city:<13} {counts:<31} {reach(HEALTH_SERVICES):<9} "
                     f"{reach(PROTECTION_SERVICES):<11} {', '.join(empty) or '-'}")
    lines.append("entries are counted once per service type they offer; verified = with a "
                 "number, confirmed, and verified within the allowed age")
    return "\n".join(lines)


def review_text(reviews: dict[str, LanguageReview]) -> str:
    """Return one line per language: texts translated, reviewed, unreviewed, missing."""
    lines = [f"{'lang':<4} {'texts':>5} {'reviewed':>8} {'unreviewed':>10} {'missing':>7}  "
             "written"]
    for language, r in reviews.items():
        lines.append(f"{language:<4} {r.total:>5} {r.reviewed:>8} {len(r.unreviewed):>10} "
                     f"{len(r.untranslated):>7}  {r.written or '-'}")
    lines.append("unreviewed = written without a native speaker's review (translations.yml); "
                 "--by translation lists them")
    return "\n".join(lines)


def _review_rows(reviews: dict[str, LanguageReview]) -> list[tuple[str, str, str]]:
    return [(language, key, state) for language, r in reviews.items()
            for state, keys in (("missing", r.untranslated), ("unreviewed", r.unreviewed))
            for key in keys]


def review_list_text(reviews: dict[str, LanguageReview]) -> str:
    """Return every untranslated or unreviewed text, one line each, per language."""
    rows = _review_rows(reviews)
    lines = [f"{language:<4} {state:<10} {key}" for language, key, state in rows]
    return "\n".join(lines) if lines else "every text is translated and reviewed"


def review_csv(reviews: dict[str, LanguageReview]) -> str:
    """Return every untranslated or unreviewed text as CSV rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["language", "key", "state"])
    writer.writerows(_review_rows(reviews))
    return out.getvalue()
