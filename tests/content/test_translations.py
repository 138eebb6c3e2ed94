"""Unreviewed translations: flagged in the content, reported, counted, and carried by the sheets."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from bot.content import load_content
from bot.content.check import check_content
from bot.content.coverage import review_list_text, review_text
from bot.content.sheets import (
    ANSWERS_SHEET,
    DIRECTORY_SHEET,
    MESSAGES_SHEET,
    export_sheets,
    import_sheets,
)
from bot.content.translations import (
    TRANSLATIONS_FILE,
    dump_translations,
    load_translations,
    review,
    texts,
)
from bot.paths import CONTENT_DIR
from tests.content.sheet_rows import read_rows, write_rows

NEW_LANGUAGES = ("om", "am", "ti", "so", "ha")


@pytest.fixture()
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def test_the_new_languages_are_flagged_unreviewed_with_their_date() -> None:
    statuses = load_translations(CONTENT_DIR)
    assert tuple(statuses) == NEW_LANGUAGES
    assert all(isinstance(s.written, dt.date) for s in statuses.values())
    assert (CONTENT_DIR / TRANSLATIONS_FILE).read_text(encoding="utf-8") == dump_translations(
        statuses)


def test_every_text_is_translated_in_all_nine_languages_and_the_new_ones_await_review() -> None:
    content = load_content(CONTENT_DIR)
    reviews = review(content)
    assert set(reviews) == {"en", "fr", "ar", "es", *NEW_LANGUAGES}
    total = len(texts(content))
    assert total > 250
    for language, result in reviews.items():
        assert result.untranslated == (), language
        if language in NEW_LANGUAGES:
            assert len(result.unreviewed) + result.reviewed == total
            assert result.unreviewed
        else:
            assert (result.unreviewed, result.reviewed) == ((), total)


def test_check_warns_per_language_and_strict_makes_it_an_error(content_copy: Path) -> None:
    findings = check_content(content_copy)
    review_findings = [f for f in findings if f.where.startswith(TRANSLATIONS_FILE)]
    assert {f.level for f in review_findings} == {"warning"}
    assert sorted(f.where.split(": ")[1] for f in review_findings) == sorted(NEW_LANGUAGES)
    assert "not reviewed by a native speaker" in review_findings[0].message
    strict = check_content(content_copy, strict=True)
    assert any(f.level == "error" and f.where.startswith(TRANSLATIONS_FILE) for f in strict)


def test_a_translation_whose_numbers_differ_from_the_english_is_an_error(
        content_copy: Path) -> None:
    path = content_copy / "topics" / "gbv.yml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["text"]["so"] = raw["text"]["so"].replace("3", "5")
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    errors = [f for f in check_content(content_copy) if f.level == "error"]
    assert [(f.where, f.message.split(":")[0]) for f in errors] == [
        ("topic/gbv/general", "so")]


def test_a_reviewed_key_that_names_no_text_is_an_error(content_copy: Path) -> None:
    path = content_copy / TRANSLATIONS_FILE
    path.write_text(path.read_text(encoding="utf-8").replace(
        "om:\n  translation: unreviewed\n  date: 2026-12-06\n  reviewed: []",
        "om:\n  translation: unreviewed\n  date: 2026-12-06\n  reviewed: [topic/nothing/title]"),
        encoding="utf-8")
    errors = [f for f in check_content(content_copy) if f.level == "error"]
    assert len(errors) == 1 and "topic/nothing/title" in errors[0].message


def test_coverage_counts_reviewed_and_lists_every_unreviewed_text() -> None:
    reviews = review(load_content(CONTENT_DIR))
    summary = review_text(reviews)
    assert all(f"\n{language} " in summary for language in NEW_LANGUAGES)
    listing = review_list_text(reviews).splitlines()
    assert len(listing) == sum(len(r.unreviewed) + len(r.untranslated) for r in reviews.values())
    assert "topic/gbv/general" in " ".join(line for line in listing if line.startswith("ti "))


def test_a_reviewer_marks_rows_reviewed_in_the_sheets_and_the_import_records_it(
        content_copy: Path, tmp_path: Path) -> None:
    sheets = tmp_path / "sheets"
    paths = export_sheets(load_content(content_copy), sheets)
    assert [p.name for p in paths] == [DIRECTORY_SHEET, ANSWERS_SHEET, MESSAGES_SHEET]
    answers = read_rows(sheets / ANSWERS_SHEET)
    assert {r["review_am"] for r in answers} == {"unreviewed"}
    gbv = next(r for r in answers if (r["topic"], r["part"]) == ("gbv", "general"))
    gbv["review_am"] = "reviewed"
    gbv["am"] = gbv["am"] + " "  # trailing space only: the text itself is unchanged
    write_rows(sheets / ANSWERS_SHEET, answers)
    directory = read_rows(sheets / DIRECTORY_SHEET)
    directory[0]["review_so"] = "reviewed"
    write_rows(sheets / DIRECTORY_SHEET, directory)
    messages = read_rows(sheets / MESSAGES_SHEET)
    greeting = next(r for r in messages if r["key"] == "message/greeting")
    greeting["ha"] = "Sannu! Ina ba da bayani kyauta kan lafiya da kariya ga bakin haure."
    greeting["review_ha"] = "reviewed"
    write_rows(sheets / MESSAGES_SHEET, messages)

    result = import_sheets(content_copy, sheets)
    assert result.errors == []
    assert content_copy / TRANSLATIONS_FILE in result.written
    assert content_copy / "messages.yml" in result.written
    statuses = load_translations(content_copy)
    assert statuses["am"].reviewed == {"topic/gbv/general"}
    entry = directory[0]["id"]
    assert f"directory/{entry}/note" in statuses["so"].reviewed
    assert statuses["ha"].reviewed == {"message/greeting"}
    assert load_content(content_copy).message("greeting", "ha").startswith("Sannu!")
    assert not statuses["om"].reviewed
    # And back: exporting again shows the rows as reviewed.
    again = read_rows(export_sheets(load_content(content_copy), tmp_path / "again")[1])
    assert [r["part"] for r in again if r["topic"] == "gbv" and r["review_am"] == "reviewed"] == [
        "general"]


def test_a_bad_review_cell_or_an_edited_fact_label_is_refused_and_nothing_written(
        content_copy: Path, tmp_path: Path) -> None:
    sheets = tmp_path / "sheets"
    export_sheets(load_content(content_copy), sheets)
    messages = read_rows(sheets / MESSAGES_SHEET)
    messages[0]["review_om"] = "maybe"
    label = next(r for r in messages if r["key"].startswith("fact/"))
    label["so"] = label["so"] + " (new)"
    write_rows(sheets / MESSAGES_SHEET, messages)
    before = (content_copy / TRANSLATIONS_FILE).read_text(encoding="utf-8")
    result = import_sheets(content_copy, sheets)
    assert result.written == []
    assert any("review_om must be" in e for e in result.errors)
    assert any("is edited in countries.yml" in e for e in result.errors)
    assert (content_copy / TRANSLATIONS_FILE).read_text(encoding="utf-8") == before
