"""Export to spreadsheets and import back: identical without edits, reported and checked with."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.content import load_content
from bot.content.coverage import coverage, coverage_text
from bot.content.directory import SERVICE_TYPES
from bot.content.model import TOPIC_INTENTS
from bot.content.sheets import (
    ANSWERS_SHEET,
    DIRECTORY_SHEET,
    MESSAGES_SHEET,
    export_sheets,
    import_sheets,
)
from bot.paths import CONTENT_DIR, REPO_ROOT
from tests.content.sheet_rows import read_rows, write_rows


@pytest.fixture()
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def _same_tree(a: Path, b: Path) -> bool:
    compared = filecmp.dircmp(a, b)
    if compared.left_only or compared.right_only or compared.diff_files or compared.funny_files:
        return False
    return all(_same_tree(a / sub, b / sub) for sub in compared.common_dirs)


def test_export_then_import_without_edits_changes_nothing_byte_for_byte(
        content_copy: Path, tmp_path: Path) -> None:
    sheets = export_sheets(load_content(content_copy), tmp_path / "sheets")
    assert [p.name for p in sheets] == [DIRECTORY_SHEET, ANSWERS_SHEET, MESSAGES_SHEET]
    result = import_sheets(content_copy, tmp_path / "sheets")
    assert (result.errors, result.changes, result.written) == ([], [], [])
    assert _same_tree(content_copy, CONTENT_DIR)
    rows = read_rows(tmp_path / "sheets" / DIRECTORY_SHEET)
    assert len(rows) == len(load_content(content_copy).directory.all_entries())
    answers = read_rows(tmp_path / "sheets" / ANSWERS_SHEET)
    assert {r["topic"] for r in answers} == set(TOPIC_INTENTS)
    assert {r["ar"] for r in answers if r["topic"] == "gbv" and r["part"] == "Tunisia"}


def test_an_edited_directory_sheet_is_reported_written_and_reads_back_identically(
        content_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "sheets"
    export_sheets(load_content(content_copy), out)
    rows = read_rows(out / DIRECTORY_SHEET)
    edited = next(r for r in rows if r["id"] == "tn-support-1809")
    edited["last_verified"] = "2026-11-20"
    edited["note_fr"] = "Ligne gratuite avec des psychologues."
    edited["languages"] = "ar; fr"
    rows = [r for r in rows if r["id"] != "eg-stars"]
    added = dict(next(r for r in rows if r["id"] == "ma-onde-2511"), id="ma-onde-2511-web",
                 phone="", web="2511.ma")
    rows.append(added)
    write_rows(out / DIRECTORY_SHEET, rows)
    (out / ANSWERS_SHEET).unlink()

    dry = import_sheets(content_copy, out, dry_run=True)
    assert dry.errors == [] and dry.written == [] and _same_tree(content_copy, CONTENT_DIR)
    result = import_sheets(content_copy, out)
    assert result.errors == []
    assert "directory Egypt: removed eg-stars" in result.changes
    assert "directory Morocco: added ma-onde-2511-web" in result.changes
    assert ("directory Tunisia: tn-support-1809.last_verified: '2025-08' -> '2026-11-20'"
            in result.changes)
    assert any(c.startswith("directory Tunisia: tn-support-1809.note:") for c in result.changes)
    assert sorted(p.name for p in result.written) == ["egypt.yml", "morocco.yml", "tunisia.yml"]

    content = load_content(content_copy)
    entry = next(e for e in content.directory.entries("Tunisia") if e.id == "tn-support-1809")
    assert entry.last_verified == "2026-11-20" and entry.languages == ("ar", "fr")
    assert entry.note["fr"] == "Ligne gratuite avec des psychologues."
    again = export_sheets(content, tmp_path / "again")[0]
    edited = read_rows(out / DIRECTORY_SHEET)
    assert read_rows(again) == [r for country in ("Egypt", "Libya", "Morocco", "Tunisia", "Yemen")
                                for r in edited if r["country"] == country]


@pytest.mark.parametrize(("column", "value", "expected"), [
    ("phone", "+216 58 574 595", "not E.164"),
    ("phone", "21658574595", "lost its leading + or 0"),
    ("city", "Paris", "unknown city 'Paris'"),
    ("services", "srhr; dentistry", "unknown service type 'dentistry'"),
    ("gbv_safe", "maybe", "gbv_safe must be yes, no or empty"),
    ("last_verified", "Apr-20", "last_verified"),
    ("note_ar", "", "note missing in ar"),
    ("country", "France", "country 'France' has no directory"),
])
def test_a_bad_row_is_reported_with_its_number_and_nothing_is_written(
        content_copy: Path, tmp_path: Path, column: str, value: str, expected: str) -> None:
    out = tmp_path / "sheets"
    export_sheets(load_content(content_copy), out)
    rows = read_rows(out / DIRECTORY_SHEET)
    index = next(i for i, r in enumerate(rows) if r["id"] == "tn-ctr-north")
    rows[index][column] = value
    rows[0]["note_en"] = "A harmless edit that must not be written either."
    write_rows(out / DIRECTORY_SHEET, rows)
    result = import_sheets(content_copy, out)
    assert result.written == []
    assert any(f"row {index + 2}" in e and expected in e for e in result.errors), result.errors
    assert _same_tree(content_copy, CONTENT_DIR)


def test_an_edited_answer_is_written_and_a_broken_placeholder_is_refused(
        content_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "sheets"
    export_sheets(load_content(content_copy), out)
    (out / DIRECTORY_SHEET).unlink()
    rows = read_rows(out / ANSWERS_SHEET)
    row = next(r for r in rows if r["topic"] == "gbv" and r["part"] == "Tunisia")
    row["es"] = "En Túnez, llama gratis al {gbv_line}, de día y de noche si puedes."
    row["last_reviewed"] = "2026-11-22"
    write_rows(out / ANSWERS_SHEET, rows)
    result = import_sheets(content_copy, out)
    assert result.errors == []
    assert result.changes == ["topics/gbv: Tunisia: last_reviewed '2026-11-23' -> '2026-11-22'",
                              "topics/gbv: Tunisia: text es changed"]
    assert [p.name for p in result.written] == ["gbv.yml"]
    part = load_content(content_copy).topics["gbv"].countries["Tunisia"]
    assert part.text["es"].startswith("En Túnez, llama gratis al {gbv_line}")

    row["fr"] = "Appelez le {numero_invente}."
    write_rows(out / ANSWERS_SHEET, rows)
    before = (content_copy / "topics" / "gbv.yml").read_bytes()
    refused = import_sheets(content_copy, out)
    assert refused.written == [] and any("placeholders" in e for e in refused.errors)
    assert (content_copy / "topics" / "gbv.yml").read_bytes() == before


def test_coverage_has_every_country_language_topic_and_service_type() -> None:
    content = load_content(CONTENT_DIR)
    rows = coverage(content)
    assert len(rows) == 5 * len(content.languages) * (len(TOPIC_INTENTS) + len(SERVICE_TYPES))
    assert len(content.languages) == 9
    libya = {r.name: r for r in rows if r.country == "Libya" and r.language == "ar"
             and r.kind == "service"}
    assert libya["trafficking"].present == 0 and libya["gbv"].present >= 3
    assert all(r.present == 1 for r in rows if r.kind == "topic")
    morocco_gbv = next(r for r in rows if r.country == "Morocco" and r.kind == "service"
                       and r.name == "gbv" and r.language == "fr")
    assert morocco_gbv.present == morocco_gbv.verified + morocco_gbv.stale
    assert "Yemen" in coverage_text(rows)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True,
                          text=True, cwd=REPO_ROOT, timeout=120)


def test_content_export_import_and_coverage_commands(content_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "sheets"
    exported = _cli("content", "export", "--out", str(out), "--content-dir", str(content_copy))
    assert exported.returncode == 0, exported.stderr
    rows = read_rows(out / DIRECTORY_SHEET)
    rows[0]["hours_en"], rows[0]["hours_fr"] = "9:00-17:00", "9h-17h"
    rows[0]["hours_ar"], rows[0]["hours_es"] = "9:00-17:00", "9:00-17:00"
    write_rows(out / DIRECTORY_SHEET, rows)
    imported = _cli("content", "import", str(out), "--content-dir", str(content_copy))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert f"CHANGED: directory Egypt: {rows[0]['id']}.hours" in imported.stdout
    assert "1 file(s) written" in imported.stdout
    rows[0]["phone"] = "12"
    write_rows(out / DIRECTORY_SHEET, rows)
    refused = _cli("content", "import", str(out), "--content-dir", str(content_copy))
    assert refused.returncode == 1 and "row 2" in refused.stdout
    assert "nothing written" in refused.stdout
    xlsx = _cli("content", "export", "--format", "xlsx", "--out", str(out))
    assert xlsx.returncode == 2 and "openpyxl" in xlsx.stderr
    report = _cli("content", "coverage", "--format", "csv")
    assert report.returncode == 0
    assert report.stdout.startswith("country,language,kind,name,present,verified,stale")
    assert len(report.stdout.splitlines()) == 1 + 5 * 9 * (20 + 8)
    listing = _cli("content", "coverage", "--by", "translation", "--format", "csv")
    assert listing.returncode == 0 and listing.stdout.startswith("language,key,state")
    assert "ti,topic/gbv/general,unreviewed" in listing.stdout
