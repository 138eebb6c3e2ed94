"""Which translations a native speaker has reviewed: `content/translations.yml`.

Every text the assistant sends has a key (`texts(content)`):

* `topic/<topic>/title`, `topic/<topic>/general`, `topic/<topic>/<Country>`: the answers;
* `message/<name>`: the conversation's own sentences (`messages.yml`);
* `fact/<Country>/<fact>`: the label printed beside a number (`countries.yml`);
* `place/<Country>`: how a language writes the country's name (`places.yml`);
* `directory/<id>/note`, `directory/<id>/hours`: the referral directory.

A language whose texts were written without a native speaker's review is listed in
`translations.yml` with `translation: unreviewed` and the date; `reviewed` lists the keys a
native speaker has since read and approved. A language not listed there is reviewed (the team
writes English, French, Arabic and Spanish). `content check` warns about every unreviewed text
(an error with `--strict`), `content coverage` counts reviewed and unreviewed texts per language
and lists them, and `content export`/`import` carry the state in a `review_<language>` column
so a reviewer can work in a spreadsheet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.content.model import Content, ContentError

TRANSLATIONS_FILE = "translations.yml"
UNREVIEWED = "unreviewed"
REVIEWED = "reviewed"
_HEADER = """\
# Translations a native speaker has not reviewed yet, per language: `translation: unreviewed`,
# the date the texts were written, and `reviewed`: the keys of the texts a native speaker has
# since read and approved (same facts, numbers and placeholders as the English; plain words).
# Keys: topic/<topic>/title|general|<Country>, message/<name>, fact/<Country>/<fact>,
# place/<Country>, directory/<id>/note|hours. A language not listed is reviewed.
# `migrant-bot content coverage` lists what is left; `content export`/`import` carry the state
# (column review_<language>). See README.md, "Languages and translations".
"""


@dataclass(frozen=True)
class TranslationStatus:
    """One language's unreviewed translation: when it was written and what was reviewed since."""

    language: str
    written: dt.date
    reviewed: frozenset[str] = field(default_factory=frozenset)


def load_translations(root: Path | str) -> dict[str, TranslationStatus]:
    """Read `translations.yml` below `root` (no file: every translation is reviewed)."""
    path = Path(root) / TRANSLATIONS_FILE
    if not path.exists():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ContentError(f"{path}: not valid YAML ({error})") from error
    statuses = {}
    for language, entry in raw.items():
        where = f"{path}: {language}"
        if not isinstance(entry, dict) or entry.get("translation") != UNREVIEWED:
            raise ContentError(f"{where}: expected 'translation: {UNREVIEWED}'")
        written = entry.get("date")
        if not isinstance(written, dt.date):
            raise ContentError(f"{where}: date must be YYYY-MM-DD")
        reviewed = entry.get("reviewed") or []
        if not isinstance(reviewed, list):
            raise ContentError(f"{where}: reviewed must be a list of text keys")
        statuses[str(language)] = TranslationStatus(str(language), written,
                                                    frozenset(str(k) for k in reviewed))
    return statuses


def dump_translations(statuses: dict[str, TranslationStatus]) -> str:
    """Return the file's text: languages in the given order, reviewed keys sorted."""
    data: dict[str, Any] = {
        status.language: {"translation": UNREVIEWED, "date": status.written,
                          "reviewed": sorted(status.reviewed)}
        for status in statuses.values()
    }
    return _HEADER + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def texts(content: Content) -> dict[str, dict[str, str]]:
    """Return every text the assistant sends, by key, as {language: text}."""
    found: dict[str, dict[str, str]] = {}
    for name, topic in sorted(content.topics.items()):
        found[f"topic/{name}/title"] = topic.title
        found[f"topic/{name}/general"] = topic.text
        for country, part in topic.countries.items():
            found[f"topic/{name}/{country}"] = part.text
    for name, message in content.messages.items():
        found[f"message/{name}"] = message
    for country in content.countries.values():
        found[f"place/{country.name}"] = country.names
        for key, fact in country.facts.items():
            found[f"fact/{country.name}/{key}"] = fact.label
    for entry in content.directory.all_entries() if content.directory else ():
        found[f"directory/{entry.id}/note"] = entry.note
        if entry.hours:
            found[f"directory/{entry.id}/hours"] = entry.hours
    return found


@dataclass(frozen=True)
class LanguageReview:
    """How far one language's texts are translated and reviewed."""

    language: str
    total: int
    untranslated: tuple[str, ...]
    unreviewed: tuple[str, ...]
    written: dt.date | None

    @property
    def reviewed(self) -> int:
        """Texts present in the language and reviewed."""
        return self.total - len(self.untranslated) - len(self.unreviewed)


def review(content: Content, statuses: dict[str, TranslationStatus] | None = None
           ) -> dict[str, LanguageReview]:
    """Return, per supported language, which texts are missing and which are unreviewed."""
    if statuses is None:
        statuses = load_translations(content.root)
    every = texts(content)
    result = {}
    for language in content.languages:
        status = statuses.get(language)
        missing = tuple(key for key, value in every.items() if not value.get(language))
        unreviewed = () if status is None else tuple(
            key for key, value in every.items()
            if value.get(language) and key not in status.reviewed)
        result[language] = LanguageReview(language, len(every), missing, unreviewed,
                                          status.written if status else None)
    return result


def with_review(statuses: dict[str, TranslationStatus], language: str, key: str,
                reviewed: bool) -> dict[str, TranslationStatus]:
    """Return `statuses` with `key` marked reviewed (or not) in `language`."""
    status = statuses.get(language)
    if status is None:
        if reviewed:
            return statuses
        raise ContentError(f"{language}: not listed in {TRANSLATIONS_FILE}; add the language "
                           "there with its date to mark a text unreviewed")
    keys = status.reviewed | {key} if reviewed else status.reviewed - {key}
    return {**statuses, language: TranslationStatus(language, status.written, frozenset(keys))}
