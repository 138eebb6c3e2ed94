"""Round-trip the directory and the answers through spreadsheets NGO staff can edit.

`migrant-bot content export` writes two CSV files (UTF-8 with a byte-order mark, so spreadsheet
programs read Arabic right):

* `directory.csv`: one row per service; lists separated by "; "; attributes `yes`, `no` or empty
  (not known); one column per language for the note and the opening hours;
* `answers.csv`: one row per answer text (`part` = `title`, `general` or a country), one column per
  language, with the source, confidence and review date;
* `messages.csv`: one row per conversation sentence (`message/<name>`), fact label
  (`fact/<Country>/<fact>`) and country name (`place/<Country>`), one column per language.

Each language whose translation awaits a native speaker's review (`translations.yml`) has a
`review_<language>` column on every sheet: `unreviewed` or `reviewed`. A reviewer reads the
row, corrects the text, writes `reviewed`, and the import records it. Message texts are edited
through the sheet; fact labels and country names are edited in `countries.yml` and
`places.yml` (their rows carry the review state only).

`migrant-bot content import` reads them back, validates every row (a bad row is reported with its
number and nothing is written), reports what changed, and writes only the files whose data
changed, in the same layout as before: a round trip without edits leaves every file byte for byte
as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.content.check import check_content, entry_findings
from bot.content.directory import (
    ATTRIBUTES,
    CountryDirectory,
    Service,
    dump_country_directory,
    parse_entry,
)
from bot.content.model import CONFIDENCE_LEVELS, TOPIC_INTENTS, Content, ContentError, load_content
from bot.content.translations import (
    REVIEWED,
    TRANSLATIONS_FILE,
    UNREVIEWED,
    TranslationStatus,
    dump_translations,
    load_translations,
    texts,
    with_review,
)

DIRECTORY_SHEET = "directory.csv"
ANSWERS_SHEET = "answers.csv"
MESSAGES_SHEET = "messages.csv"
LIST_SEPARATOR = "; "
YES, NO = "yes", "no"


@dataclass
class ImportResult:
    """What an import found: changes, row errors, and the files written (none on error)."""

    changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


def review_columns(statuses: dict[str, TranslationStatus]) -> list[str]:
    """Return the review-state columns: one per language awaiting review."""
    return [f"review_{language}" for language in statuses]


def _review_cells(statuses: dict[str, TranslationStatus], keys: list[str]) -> dict[str, str]:
    return {f"review_{language}": REVIEWED if set(keys) <= status.reviewed else UNREVIEWED
            for language, status in statuses.items()}


def directory_columns(languages: tuple[str, ...],
                      statuses: dict[str, TranslationStatus] | None = None) -> list[str]:
    """Return the columns of the directory sheet."""
    return [
        "country", "id", "organisation", "city", "services", "phone", "whatsapp", "web",
        "address", *(f"hours_{lang}" for lang in languages), "languages", "cost", *ATTRIBUTES,
        *(f"note_{lang}" for lang in languages), "source", "source_url", "confidence",
        "unverified", "last_verified", *review_columns(statuses or {}),
    ]


def answers_columns(languages: tuple[str, ...],
                    statuses: dict[str, TranslationStatus] | None = None) -> list[str]:
    """Return the columns of the answers sheet."""
    return ["topic", "part", "source", "confidence", "unverified", "last_reviewed", *languages,
            *review_columns(statuses or {})]


def messages_columns(languages: tuple[str, ...],
                     statuses: dict[str, TranslationStatus] | None = None) -> list[str]:
    """Return the columns of the messages sheet."""
    return ["key", *languages, *review_columns(statuses or {})]


def _directory_keys(entry: Service) -> list[str]:
    return [f"directory/{entry.id}/note", *([f"directory/{entry.id}/hours"] if entry.hours else [])]


def _yes_no(value: bool | None) -> str:
    return "" if value is None else YES if value else NO


def directory_rows(content: Content,
                   statuses: dict[str, TranslationStatus] | None = None) -> list[dict[str, str]]:
    """Return the directory sheet's rows, country by country in file order."""
    statuses = statuses or {}
    rows = []
    for entry in content.directory.all_entries() if content.directory else []:
        row = {
            "country": entry.country, "id": entry.id, "organisation": entry.organisation,
            "city": entry.city, "services": LIST_SEPARATOR.join(entry.services),
            "phone": LIST_SEPARATOR.join(entry.phone),
            "whatsapp": LIST_SEPARATOR.join(entry.whatsapp), "web": entry.web or "",
            "address": entry.address or "", "languages": LIST_SEPARATOR.join(entry.languages),
            "cost": entry.cost, "source": entry.source, "source_url": entry.source_url or "",
            "confidence": entry.confidence,
            "unverified": YES if entry.unverified else "",
            "last_verified": entry.last_verified or "",
        }
        for language in content.languages:
            row[f"hours_{language}"] = entry.hours.get(language, "")
            row[f"note_{language}"] = entry.note.get(language, "")
        for name in ATTRIBUTES:
            row[name] = _yes_no(entry.attributes.get(name))
        row.update(_review_cells(statuses, _directory_keys(entry)))
        rows.append(row)
    return rows


def _provenance_cells(raw: dict[str, Any], inherit: dict[str, str]) -> dict[str, str]:
    reviewed = raw.get("last_reviewed", inherit.get("last_reviewed"))
    return {
        "source": str(raw.get("source", inherit.get("source", ""))),
        "confidence": str(raw.get("confidence", inherit.get("confidence", ""))),
        "unverified": YES if raw.get("unverified", inherit.get("unverified") == YES) else "",
        "last_reviewed": "" if reviewed in (None, "") else str(reviewed),
    }


def answers_rows(content: Content,
                 statuses: dict[str, TranslationStatus] | None = None) -> list[dict[str, str]]:
    """Return the answers sheet's rows: each topic's title, general text and country parts."""
    statuses = statuses or {}
    rows = []
    for name in TOPIC_INTENTS:
        path = content.root / "topics" / f"{name}.yml"
        if not path.is_file():
            continue
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        topic_cells = _provenance_cells(raw, {})
        blank = dict.fromkeys(topic_cells, "")
        rows.append({"topic": name, "part": "title", **blank, **_texts(raw.get("title")),
                     **_review_cells(statuses, [f"topic/{name}/title"])})
        rows.append({"topic": name, "part": "general", **topic_cells, **_texts(raw.get("text")),
                     **_review_cells(statuses, [f"topic/{name}/general"])})
        for country, part in (raw.get("countries") or {}).items():
            rows.append({"topic": name, "part": country,
                         **_provenance_cells(part, topic_cells), **_texts(part.get("text")),
                         **_review_cells(statuses, [f"topic/{name}/{country}"])})
    return rows


def messages_rows(content: Content,
                  statuses: dict[str, TranslationStatus] | None = None) -> list[dict[str, str]]:
    """Return the messages sheet's rows: sentences, fact labels and country names."""
    statuses = statuses or {}
    return [{"key": key, **value, **_review_cells(statuses, [key])}
            for key, value in texts(content).items()
            if key.split("/")[0] in ("message", "fact", "place")]


def _texts(raw: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (raw or {}).items() if v is not None}


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


def export_sheets(content: Content, out: Path) -> list[Path]:
    """Write the directory, answers and messages sheets into `out`; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    statuses = load_translations(content.root)
    directory = out / DIRECTORY_SHEET
    answers = out / ANSWERS_SHEET
    messages = out / MESSAGES_SHEET
    languages = content.languages
    _write_csv(directory, directory_columns(languages, statuses),
               directory_rows(content, statuses))
    _write_csv(answers, answers_columns(languages, statuses), answers_rows(content, statuses))
    _write_csv(messages, messages_columns(languages, statuses),
               messages_rows(content, statuses))
    return [directory, answers, messages]


def _read_csv(path: Path, columns: list[str],
              errors: list[str]) -> list[tuple[int, dict[str, str]]]:
    """Return (row number as a spreadsheet shows it, row) pairs; header problems go to errors."""
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in columns if c not in header]
    extra = [c for c in header if c not in columns]
    if missing or extra:
        errors.append(f"{path.name}: columns differ from the export (missing: "
                      f"{', '.join(missing) or 'none'}; unknown: {', '.join(extra) or 'none'})")
        return []
    return [(number, {k: (v or "").strip() for k, v in row.items() if k is not None})
            for number, row in enumerate(reader, 2)]


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.replace(",", ";").split(";") if part.strip()]


class _Reviews:
    """The review states a sheet's `review_<language>` cells ask for."""

    def __init__(self, statuses: dict[str, TranslationStatus]) -> None:
        self.statuses = statuses
        self.wanted: dict[tuple[str, str], bool] = {}

    def read(self, row: dict[str, str], keys: list[str], where: str,
             errors: list[str]) -> None:
        for language in self.statuses:
            cell = row.get(f"review_{language}", "").lower()
            if cell not in ("", REVIEWED, UNREVIEWED):
                errors.append(f"{where}: review_{language} must be {REVIEWED} or {UNREVIEWED}, "
                              f"not {cell!r}")
                continue
            for key in keys:
                self.wanted[(language, key)] = cell == REVIEWED

    def apply(self, root: Path, result: ImportResult) -> dict[Path, str]:
        """Return the new translations.yml when a review state changed."""
        statuses = dict(self.statuses)
        for (language, key), reviewed in self.wanted.items():
            if (key in statuses[language].reviewed) == reviewed:
                continue
            statuses = with_review(statuses, language, key, reviewed)
            result.changes.append(f"{TRANSLATIONS_FILE}: {language} {key} "
                                  f"{REVIEWED if reviewed else UNREVIEWED}")
        if statuses == self.statuses:
            return {}
        return {root / TRANSLATIONS_FILE: dump_translations(statuses)}


def _row_to_raw(row: dict[str, str], languages: tuple[str, ...], where: str) -> dict[str, Any]:
    attributes: dict[str, bool] = {}
    for name in ATTRIBUTES:
        cell = row[name].lower()
        if cell not in ("", YES, NO):
            raise ContentError(f"{where}: {name} must be yes, no or empty, not {row[name]!r}")
        if cell:
            attributes[name] = cell == YES
    unverified = row["unverified"].lower()
    if unverified not in ("", YES, NO):
        raise ContentError(f"{where}: unverified must be yes, no or empty")
    raw: dict[str, Any] = {
        "id": row["id"], "organisation": row["organisation"], "city": row["city"],
        "services": _split(row["services"]), "phone": _split(row["phone"]),
        "whatsapp": _split(row["whatsapp"]), "web": row["web"] or None,
        "address": row["address"] or None,
        "hours": {lang: row[f"hours_{lang}"] for lang in languages if row[f"hours_{lang}"]},
        "languages": _split(row["languages"]), "cost": row["cost"] or "unknown",
        "attributes": attributes,
        "note": {lang: row[f"note_{lang}"] for lang in languages if row[f"note_{lang}"]},
        "source": row["source"], "source_url": row["source_url"] or None,
        "confidence": row["confidence"],
        "unverified": unverified == YES, "last_verified": row["last_verified"] or None,
    }
    return raw


def _import_directory(content: Content, path: Path, result: ImportResult,
                      reviews: _Reviews) -> dict[Path, str]:
    """Validate the directory sheet; return the new text of each directory file that changed."""
    columns = directory_columns(content.languages, reviews.statuses)
    rows = _read_csv(path, columns, result.errors)
    old = content.directory.countries if content.directory else {}
    new_entries: dict[str, list[Service]] = {country: [] for country in old}
    seen: dict[str, int] = {}
    today = dt.date.today()
    for number, row in rows:
        where = f"{path.name} row {number}"
        if not any(row.values()):
            continue
        country = row["country"]
        if country not in old:
            result.errors.append(f"{where}: country {country!r} has no directory "
                                 f"(one of {', '.join(old)})")
            continue
        try:
            entry = parse_entry(_row_to_raw(row, content.languages, where), country, where)
        except ContentError as error:
            result.errors.append(str(error))
            continue
        if entry.id in seen:
            result.errors.append(f"{where}: id {entry.id!r} already on row {seen[entry.id]}")
            continue
        seen[entry.id] = number
        reviews.read(row, _directory_keys(entry), where, result.errors)
        previous = {e.id: e for e in old[country].entries}.get(entry.id)
        for number_cell in entry.phone if previous else ():
            if number_cell.isdigit() and ({f"+{number_cell}", f"0{number_cell}"}
                                          & set(previous.phone)):
                result.errors.append(
                    f"{where} ({entry.id}): phone {number_cell!r} lost its leading + or 0 "
                    "(format the phone columns as text in the spreadsheet)")
        for level, message in entry_findings(content, old[country], entry, today, 10**6):
            if level == "error":
                result.errors.append(f"{where} ({entry.id}): {message}")
        new_entries[country].append(entry)
    if result.errors:
        return {}
    changed: dict[Path, str] = {}
    for country, country_directory in old.items():
        before = {e.id: e.to_dict() for e in country_directory.entries}
        after = {e.id: e.to_dict() for e in new_entries[country]}
        for entry_id in after.keys() - before.keys():
            result.changes.append(f"directory {country}: added {entry_id}")
        for entry_id in before.keys() - after.keys():
            result.changes.append(f"directory {country}: removed {entry_id}")
        for entry_id in sorted(before.keys() & after.keys()):
            for name in sorted(set(before[entry_id]) | set(after[entry_id])):
                was, now = before[entry_id].get(name), after[entry_id].get(name)
                if was != now:
                    result.changes.append(
                        f"directory {country}: {entry_id}.{name}: {was!r} -> {now!r}")
        if list(before) != list(after) and before.keys() == after.keys():
            result.changes.append(f"directory {country}: entries reordered")
        if [e.to_dict() for e in country_directory.entries] != list(after.values()):
            updated = CountryDirectory(country, country_directory.calling_code,
                                       tuple(new_entries[country]), country_directory.path)
            assert country_directory.path is not None
            changed[country_directory.path] = dump_country_directory(updated)
    return changed


def _import_answers(content: Content, path: Path, result: ImportResult,
                    reviews: _Reviews) -> dict[Path, str]:
    """Validate the answers sheet; return the new text of each topic file that changed."""
    columns = answers_columns(content.languages, reviews.statuses)
    rows = _read_csv(path, columns, result.errors)
    topics: dict[str, dict[str, Any]] = {}
    originals: dict[str, str] = {}
    for number, row in rows:
        where = f"{path.name} row {number}"
        if not any(row.values()):
            continue
        name, part = row["topic"], row["part"]
        if name not in TOPIC_INTENTS:
            result.errors.append(f"{where}: unknown topic {name!r}")
            continue
        if name not in topics:
            file = content.root / "topics" / f"{name}.yml"
            originals[name] = file.read_text(encoding="utf-8")
            topics[name] = yaml.safe_load(originals[name]) or {}
        raw = topics[name]
        if part == "title" or part == "general" or part in content.countries:
            reviews.read(row, [f"topic/{name}/{part}"], where, result.errors)
        texts = {lang: row[lang] for lang in content.languages}
        empty = [lang for lang, text in texts.items() if not text]
        if empty:
            result.errors.append(f"{where}: text missing in {', '.join(empty)}")
            continue
        if part == "title":
            _set_texts(raw, "title", texts, f"topics/{name}: title", result)
            continue
        if part == "general":
            target, label = raw, f"topics/{name}"
            inherit: dict[str, str] = {}
        elif part in content.countries:
            countries = raw.setdefault("countries", {})
            if part not in countries:
                result.changes.append(f"topics/{name}: added the {part} part")
                countries[part] = {}
            target, label = countries[part], f"topics/{name}: {part}"
            inherit = _provenance_cells(raw, {})
        else:
            result.errors.append(f"{where}: part must be title, general or a country, not "
                                 f"{part!r}")
            continue
        problem = _set_provenance(target, row, inherit, label, result)
        if problem:
            result.errors.append(f"{where}: {problem}")
            continue
        _set_texts(target, "text", texts, label, result)
    if result.errors:
        return {}
    changed = {}
    for name, raw in topics.items():
        text = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False, width=100)
        if text != originals[name]:
            changed[content.root / "topics" / f"{name}.yml"] = text
    return changed


def _import_messages(content: Content, path: Path, result: ImportResult,
                     reviews: _Reviews) -> dict[Path, str]:
    """Validate the messages sheet; return the new messages.yml when a sentence changed."""
    rows = _read_csv(path, messages_columns(content.languages, reviews.statuses), result.errors)
    current = texts(content)
    file = content.root / "messages.yml"
    original = file.read_text(encoding="utf-8")
    raw = yaml.safe_load(original) or {}
    for number, row in rows:
        where = f"{path.name} row {number}"
        key = row["key"]
        if not any(row.values()):
            continue
        if key not in current or key.split("/")[0] not in ("message", "fact", "place"):
            result.errors.append(f"{where}: unknown key {key!r}")
            continue
        reviews.read(row, [key], where, result.errors)
        wanted = {lang: row[lang] for lang in content.languages}
        empty = [lang for lang, text in wanted.items() if not text]
        if empty:
            result.errors.append(f"{where}: text missing in {', '.join(empty)}")
            continue
        edited = [lang for lang, text in wanted.items() if current[key].get(lang, "") != text]
        if edited and not key.startswith("message/"):
            result.errors.append(f"{where}: {key} is edited in "
                                 f"{'countries.yml' if key.startswith('fact/') else 'places.yml'}"
                                 ", not in the sheet")
            continue
        if edited:
            _set_texts(raw["messages"], key.removeprefix("message/"), wanted,
                       "messages.yml", result)
    if result.errors:
        return {}
    text = _comment_header(original) + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False,
                                                       width=100)
    return {file: text} if yaml.safe_load(text) != yaml.safe_load(original) else {}


def _comment_header(text: str) -> str:
    """Return the comment lines a file starts with."""
    lines = []
    for line in text.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        lines.append(line)
    return "".join(lines)


def _set_texts(target: dict[str, Any], key: str, texts: dict[str, str], label: str,
               result: ImportResult) -> None:
    current = target.setdefault(key, {})
    for language, text in texts.items():
        if str(current.get(language, "")).strip() != text:
            result.changes.append(f"{label}: {key} {language} changed")
            current[language] = text


def _set_provenance(target: dict[str, Any], row: dict[str, str], inherit: dict[str, str],
                    label: str, result: ImportResult) -> str | None:
    """Apply the row's provenance cells; return a problem, or None."""
    if row["confidence"] not in CONFIDENCE_LEVELS:
        return f"confidence must be one of {', '.join(CONFIDENCE_LEVELS)}"
    if not row["source"]:
        return "source is required"
    reviewed: dt.date | None = None
    if row["last_reviewed"]:
        try:
            reviewed = dt.date.fromisoformat(row["last_reviewed"])
        except ValueError:
            return f"last_reviewed {row['last_reviewed']!r} is not YYYY-MM-DD"
    if row["unverified"].lower() not in ("", YES, NO):
        return "unverified must be yes, no or empty"
    current = _provenance_cells(target, inherit)
    wanted = {"source": row["source"], "confidence": row["confidence"],
              "last_reviewed": row["last_reviewed"],
              "unverified": YES if row["unverified"].lower() == YES else ""}
    values: dict[str, Any] = {"source": row["source"], "confidence": row["confidence"],
                              "last_reviewed": reviewed, "unverified": wanted["unverified"] == YES}
    for key, want in wanted.items():
        if current[key] != want:
            result.changes.append(f"{label}: {key} {current[key]!r} -> {want!r}")
            target[key] = values[key]
    return None


def import_sheets(root: Path, sheets: Path, *, dry_run: bool = False) -> ImportResult:
    """Read `sheets` (a folder with directory.csv and/or answers.csv, or one of them) into `root`.

    Nothing is written when a row is wrong, when the result would fail `content check`, or with
    `dry_run`.
    """
    result = ImportResult()
    content = load_content(root)
    reviews = _Reviews(load_translations(root))
    files = ([sheets / DIRECTORY_SHEET, sheets / ANSWERS_SHEET, sheets / MESSAGES_SHEET]
             if sheets.is_dir() else [sheets])
    files = [f for f in files if f.is_file()]
    if not files:
        result.errors.append(f"{sheets}: no {DIRECTORY_SHEET}, {ANSWERS_SHEET} or "
                             f"{MESSAGES_SHEET} found")
        return result
    changed: dict[Path, str] = {}
    for file in files:
        header = file.read_text(encoding="utf-8-sig").split("\n", 1)[0]
        if header.startswith("country,"):
            changed.update(_import_directory(content, file, result, reviews))
        elif header.startswith("topic,"):
            changed.update(_import_answers(content, file, result, reviews))
        elif header.startswith("key,"):
            changed.update(_import_messages(content, file, result, reviews))
        else:
            result.errors.append(f"{file.name}: not a directory, answers or messages sheet")
    if result.errors:
        return result
    changed.update(reviews.apply(root, result))
    if changed:
        result.errors += _check_result(root, changed)
    if result.errors or dry_run:
        return result
    for path, text in changed.items():
        path.write_text(text, encoding="utf-8")
        result.written.append(path)
    return result


def _check_result(root: Path, changed: dict[Path, str]) -> list[str]:
    """Return the content-check errors the changes would add, checked on a copy of `root`."""
    def errors_of(folder: Path) -> set[str]:
        return {f"{f.where}: {f.message}" for f in check_content(folder) if f.level == "error"}

    before = errors_of(root)
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "content"
        shutil.copytree(root, copy)
        for path, text in changed.items():
            (copy / path.relative_to(root)).write_text(text, encoding="utf-8")
        after = errors_of(copy)
    return [f"after import, content check would fail: {e}" for e in sorted(after - before)]
