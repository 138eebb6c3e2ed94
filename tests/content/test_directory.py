"""The referral directory: complete, traceable to the facts, queried and flagged as people need."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot import sms
from bot.content import ContentError, load_content
from bot.content.check import check_content
from bot.content.coverage import city_coverage, city_coverage_text
from bot.content.directory import (
    ATTRIBUTES,
    NATIONAL,
    SERVICE_TYPES,
    CountryDirectory,
    Directory,
    Referral,
    Service,
    cities_with,
    find_services,
    phone_problem,
    referral,
)
from bot.content.render import referral_page, referral_text, service_entry, services_text
from bot.paths import CONTENT_DIR, REPO_ROOT
from bot.settings import SUPPORTED_LANGUAGES

LANGUAGES = SUPPORTED_LANGUAGES
COUNTRIES = ("Morocco", "Tunisia", "Egypt", "Libya", "Yemen")
TODAY = dt.date(2026, 11, 23)
FACTS = REPO_ROOT.parent / "shared" / "docs" / "country-facts.md"


@pytest.fixture(scope="module")
def content():
    return load_content(CONTENT_DIR)


def test_every_country_has_a_directory_with_every_entry_in_every_language(content) -> None:
    assert set(content.directory.countries) == set(COUNTRIES)
    for country in COUNTRIES:
        entries = content.directory.entries(country)
        assert len(entries) >= 10, country
        for entry in entries:
            assert all(entry.note.get(lang) for lang in LANGUAGES), entry.id
            assert not entry.hours or all(entry.hours.get(lang) for lang in LANGUAGES), entry.id
            assert entry.source and entry.confidence in ("high", "medium"), entry.id
            assert set(entry.services) <= set(SERVICE_TYPES), entry.id
            assert set(entry.attributes) <= set(ATTRIBUTES), entry.id
            assert entry.city == NATIONAL or entry.city in content.countries[country].cities
            assert entry.verified_on is None or entry.verified_on <= TODAY, entry.id


def test_the_shipped_directory_passes_the_checker(content) -> None:
    findings = check_content(CONTENT_DIR, today=TODAY)
    assert [str(f) for f in findings if f.level == "error"] == []
    # Every entry dated before late 2025 is reported stale, and never silently.
    stale = {f.where.split(": ")[-1] for f in findings if "answers say so" in f.message}
    assert "ma-alcs-rabat" in stale and "ma-onde-2511" not in stale


def _number_runs(text: str) -> set[str]:
    """Return every number printed in `text`, with the spaces inside it removed."""
    return {re.sub(r"\s", "", m) for m in re.findall(r"\+?\d[\d ]*\d", text)}


@pytest.mark.skipif(not FACTS.is_file(), reason="shared/docs/country-facts.md not beside the repo")
def test_every_phone_number_comes_from_the_facts_files(content) -> None:
    """No number is invented: each is printed in a facts file, maybe in national form.

    The facts files are shared/docs/country-facts.md and the directory research of
    docs/facts/, each line with its source and confidence.
    """
    facts = [FACTS, *sorted((REPO_ROOT / "docs" / "facts").glob("*.md"))]
    printed = {n.lstrip("+") for path in facts
               for n in _number_runs(path.read_text(encoding="utf-8"))}
    for country_directory in content.directory.countries.values():
        code = country_directory.calling_code
        for entry in country_directory.entries:
            for number in (*entry.phone, *entry.whatsapp):
                digits = number.lstrip("+")
                national = digits.removeprefix(code) if number.startswith("+") else digits
                assert {digits, national, f"0{national}"} & printed, (entry.id, number)


def test_libya_and_yemen_say_there_is_no_confirmed_number_and_who_answers(content) -> None:
    from bot.content.render import topic_answer

    for language in LANGUAGES:
        libya = topic_answer(content, "emergency", language, "Libya").text
        assert "1515" not in libya and "1417" in libya and "0917127644" in libya
        yemen = topic_answer(content, "emergency", language, "Yemen").text
        assert "195" in yemen and "194" not in yemen and "191" not in yemen
    assert "no national emergency number could be confirmed" in topic_answer(
        content, "emergency", "en", "Libya").text
    assert "no number could be confirmed" in topic_answer(content, "emergency", "en",
                                                          "Yemen").text


def _service(id_: str, city: str, *, services=("srhr",), confidence="high",
             last_verified: str | None = "2026-06", **extra) -> Service:
    return Service(id=id_, country="Tunisia", organisation=id_.upper(), city=city,
                   services=tuple(services), note=dict.fromkeys(LANGUAGES, "note"),
                   source="test", confidence=confidence, last_verified=last_verified, **extra)


def test_query_ranks_the_city_first_then_national_then_confirmed_and_recent() -> None:
    directory = Directory({"Tunisia": CountryDirectory("Tunisia", "216", (
        _service("other-city", "Tunis"),
        _service("national-old", NATIONAL, last_verified="2015"),
        _service("national-low", NATIONAL, confidence="low"),
        _service("national-fresh", NATIONAL),
        _service("in-sfax", "Sfax"),
        _service("legal-only", "Sfax", services=("legal",)),
    ))})
    found = find_services(directory, "Tunisia", service="srhr", city="Sfax", today=TODAY)
    assert [e.id for e in found] == ["in-sfax", "national-fresh", "national-old",
                                     "national-low", "other-city"]
    no_city = find_services(directory, "Tunisia", service="srhr", today=TODAY)
    assert [e.id for e in no_city][:3] == ["national-fresh", "national-old", "national-low"]
    assert cities_with(directory, "Tunisia", "srhr") == ["Tunis", "Sfax"]
    assert find_services(directory, "Egypt", service="srhr") == []


def test_shipped_queries_by_city_service_and_protection_attribute(content) -> None:
    directory = content.directory
    sfax = find_services(directory, "Tunisia", service="srhr", city="Sfax", today=TODAY)
    assert sfax[0].id == "tn-onfp-sfax"
    assert all("srhr" in e.services for e in sfax)
    rabat = find_services(directory, "Morocco", service="primary_care", city="Rabat", today=TODAY)
    assert {e.id for e in rabat[:2]} == {"ma-caritas-rabat", "ma-ampf-rabat"}
    undocumented = find_services(directory, "Morocco", attributes=("serves_undocumented",),
                                 today=TODAY)
    assert {e.id for e in undocumented} == {"ma-caritas-rabat", "ma-caritas-casablanca",
                                            "ma-caritas-tangier"}
    safe = find_services(directory, "Libya", service="gbv", attributes=("gbv_safe",), today=TODAY)
    assert [e.id for e in safe][0] == "ly-unfpa-1417"
    assert all(e.attributes["gbv_safe"] for e in safe)
    children = find_services(directory, "Egypt", attributes=("child_friendly",), today=TODAY)
    assert [e.id for e in children] == ["eg-nccm-16000"]
    assert find_services(directory, "Yemen", service="child_protection") == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_block_with_an_old_entry_says_call_first_once_and_a_fresh_block_not_at_all(
        content, language: str) -> None:
    old = [_service(f"old-{i}", "Sfax", last_verified="2020-02", phone=(f"+2165857459{i}",))
           for i in range(3)]
    fresh = _service("fresh", "Sfax", last_verified="2026-06", phone=("+21658574595",))
    call_first = content.message("directory_call_first", language)
    stale_block = services_text(content, [fresh, *old], language, "Sfax", TODAY, 730)
    assert stale_block.count(call_first) == 1 and stale_block.endswith(call_first)
    assert all(e.phone[0] in stale_block for e in old)
    fresh_block = services_text(content, [fresh], language, "Sfax", TODAY, 730)
    assert call_first not in fresh_block
    undated = services_text(content, [_service("y", "Sfax", last_verified=None, web="y.org")],
                            language, "Sfax", TODAY, 730)
    assert undated.count(call_first) == 1
    low = service_entry(content, _service("z", "Sfax", confidence="low"), language, TODAY, 730)
    assert content.message("directory_unconfirmed", language) in low


def _tunisia(*entries: Service) -> Directory:
    return Directory({"Tunisia": CountryDirectory("Tunisia", "216", entries)})


def test_a_referral_gives_the_citys_services_and_the_national_lines_not_other_cities() -> None:
    directory = _tunisia(
        _service("tunis", "Tunis", phone=("+21671000000",)),
        _service("sfax", "Sfax", phone=("+21674000000",)),
        _service("sfax-nameonly", "Sfax"),
        _service("national", NATIONAL, phone=("1899",)),
    )
    found = referral(directory, "Tunisia", "srhr", city="Sfax", today=TODAY)
    assert [e.id for e in found.entries] == ["sfax", "national"] and not found.elsewhere
    # A city without services of its own: the whole country's lines, then the other cities,
    # and the answer says so.
    gabes = referral(directory, "Tunisia", "srhr", city="Gabes", today=TODAY)
    assert [e.id for e in gabes.entries] == ["national", "tunis", "sfax"] and gabes.elsewhere
    anywhere = referral(directory, "Tunisia", "srhr", today=TODAY)
    assert [e.id for e in anywhere.entries] == ["national", "tunis", "sfax"]


def test_with_nothing_reachable_the_referral_falls_back_to_national_lines_with_a_number() -> None:
    directory = _tunisia(
        _service("gbv-nameonly", "Sfax", services=("gbv",)),
        _service("child-line", NATIONAL, services=("child_protection",), phone=("1809",)),
        _service("health-line", NATIONAL, services=("primary_care",), phone=("190",)),
        _service("low-line", NATIONAL, services=("trafficking",), phone=("1234",),
                 confidence="low"),
    )
    found = referral(directory, "Tunisia", "gbv", city="Sfax", today=TODAY)
    assert found.entries == () and found.reaches_someone
    # The same family (protection) first; an unconfirmed number is never the fallback.
    assert [e.id for e in found.fallback] == ["child-line", "health-line"]
    nobody = referral(_tunisia(_service("x", "Sfax")), "Tunisia", "srhr", city="Sfax")
    assert not nobody.reaches_someone


def test_services_with_an_address_but_no_number_come_with_a_national_line_that_has_one() -> None:
    directory = _tunisia(
        _service("clinic", "Sfax", address="Rue 1, Sfax"),
        _service("site", NATIONAL, web="example.org"),
        _service("line", NATIONAL, services=("gbv",), phone=("1899",)),
        _service("papers-line", NATIONAL, services=("gbv",), phone=("1809",),
                 attributes={"serves_undocumented": True}),
    )
    found = referral(directory, "Tunisia", "srhr", city="Sfax", today=TODAY)
    assert [e.id for e in found.entries] == ["clinic", "site"]
    assert [e.id for e in found.fallback] == ["line", "papers-line"]
    # Only lines known to serve people without papers stand in for places that do.
    papers = referral(directory, "Tunisia", "srhr", city="Sfax", today=TODAY,
                      attributes=("serves_undocumented",))
    assert papers.entries == () and [e.id for e in papers.fallback] == ["papers-line"]
    # One number among the services shown is enough: no national line is added.
    called = referral(_tunisia(_service("clinic", "Sfax", phone=("+21674000000",)),
                               _service("line", NATIONAL, services=("gbv",), phone=("1899",))),
                      "Tunisia", "srhr", city="Sfax", today=TODAY)
    assert called.fallback == ()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_where_block_stays_within_its_sms_budget_and_the_rest_is_a_more_away(
        content, language: str) -> None:
    """Three long entries do not fit three GSM-7 (five UCS-2) segments: fewer are shown."""
    long_note = dict.fromkeys(LANGUAGES, "A long note about what this service does " * 3)
    entries = [_service(f"s{i}", "Sfax", phone=(f"+2167400000{i}",), last_verified=None)
               for i in range(5)]
    entries = [Service(**{**e.__dict__, "note": long_note}) for e in entries]
    found = referral(_tunisia(*entries), "Tunisia", "srhr", city="Sfax", today=TODAY)
    budget = {"GSM-7": 3, "UCS-2": 5}
    seen: list[str] = []
    offset = 0
    while offset < len(found.entries):
        shown, text = referral_page(content, found, offset, 3, language, "Sfax", "Tunisia",
                                    TODAY, 730)
        folded = sms.gsm_fold(text)
        assert shown.entries and (len(shown.entries) == 1
                                  or sms.segments(folded) <= budget[sms.encoding(folded)])
        # Said once per block, the last line.
        assert text.count(content.message("directory_call_first", language)) == 1
        seen += [e.id for e in shown.entries]
        offset += len(shown.entries)
    assert seen == [e.id for e in found.entries]
    assert referral_page(content, found, 0, 3, language, "Sfax", "Tunisia", TODAY,
                         730)[0].entries != found.entries[:3]
    short = _tunisia(*(_service(f"t{i}", "Sfax", phone=(f"+2167400001{i}",)) for i in range(4)))
    shown, _ = referral_page(content, referral(short, "Tunisia", "srhr", city="Sfax",
                                               today=TODAY), 0, 3, language, "Sfax",
                             "Tunisia", TODAY, 730)
    assert len(shown.entries) == 3


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_answer_says_plainly_when_no_service_is_known_and_gives_the_national_line(
        content, language: str) -> None:
    line = _service("child-line", NATIONAL, services=("child_protection",), phone=("1809",))
    none_known = referral_text(content, Referral((), fallback=(line,)), language, "Sfax",
                               "Tunisia", TODAY, 730)
    assert none_known.startswith(content.message("directory_none_known", language,
                                                 place="Sfax"))
    assert content.message("directory_national_lines", language) in none_known
    assert "1809" in none_known
    elsewhere = referral_text(content, Referral((line,), elsewhere=True), language, "Gabes",
                              "Tunisia", TODAY, 730)
    assert elsewhere.startswith(content.message("directory_elsewhere", language, place="Gabes"))
    assert content.message("directory_title", language, place="Tunisia") in elsewhere


def test_the_checker_fails_on_a_where_answer_that_can_reach_nobody(content_copy: Path) -> None:
    path = content_copy / "directory" / "tunisia.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in data["entries"]:
        for name in ("phone", "whatsapp", "web", "address"):
            entry.pop(name, None)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    errors = _errors(content_copy)
    assert any("directory/tunisia.yml" in e and "no national line with a number" in e
               for e in errors), errors


@pytest.mark.parametrize("country", COUNTRIES)
def test_every_city_gets_a_health_service_and_a_protection_contact_with_a_number(
        content, country: str) -> None:
    """Asked from any city of places.yml, "where" gives a number for health and for protection.

    In the city itself, or a line for the whole country; failing that, the answer says none is
    known and gives the national line (`Referral.fallback`), which must then have a number.
    """
    for city in content.countries[country].cities:
        for family in (("primary_care", "srhr"), ("gbv", "child_protection", "trafficking")):
            numbers = [n for service in family
                       for found in [referral(content.directory, country, service, city=city,
                                              today=TODAY)]
                       for e in (*found.entries, *found.fallback) for n in (*e.phone, *e.whatsapp)]
            assert numbers, (country, city, family)


def test_city_coverage_counts_services_with_a_number_and_verified_per_city(content) -> None:
    rows = city_coverage(content, today=TODAY)
    keys = {(r.country, r.city) for r in rows}
    for country, place in content.countries.items():
        assert {(country, city) for city in (*place.cities, NATIONAL)} <= keys
    for row in rows:
        assert row.services >= row.with_number >= row.verified >= 0
        here = [e for e in content.directory.entries(row.country)
                if e.city == row.city and row.service in e.services]
        assert row.services == len(here)
        assert row.with_number == sum(1 for e in here if e.phone or e.whatsapp)
    text = city_coverage_text(rows)
    assert text.splitlines()[0].startswith("country") and "Sfax" in text


def test_phone_numbers_must_be_dialable_in_the_country() -> None:
    assert phone_problem("+212661934354", "212") is None
    assert phone_problem("8350", "212") is None
    assert phone_problem("0800004747", "212") is None
    assert "country's code" in phone_problem("+21658574595", "212")
    assert "E.164" in phone_problem("+212 661 93 43 54", "212")
    assert phone_problem("0661934354", "212") is not None  # national mobile: write +212...


@pytest.fixture()
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def _edit_entry(root: Path, country: str, entry_id: str, **changes) -> None:
    path = root / "directory" / f"{country.lower()}.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = next(e for e in data["entries"] if e["id"] == entry_id)
    entry.update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _errors(root: Path) -> list[str]:
    return [str(f) for f in check_content(root, today=TODAY) if f.level == "error"]


@pytest.mark.parametrize(("changes", "expected"), [
    ({"phone": ["+216 58 574 595"]}, "not E.164"),
    ({"phone": ["+21258574595"]}, "country's code +216"),
    ({"city": "Atlantis"}, "unknown city 'Atlantis'"),
    ({"services": ["dentistry"]}, "unknown service type 'dentistry'"),
    ({"attributes": {"wheelchair": True}}, "unknown attribute 'wheelchair'"),
    ({"cost": "cheap"}, "unknown cost 'cheap'"),
    ({"note": {"en": "x", "fr": "x", "ar": "x"}}, "note missing in es"),
    ({"hours": {"en": "24/7"}}, "hours missing in fr"),
    ({"last_verified": "2030-01"}, "in the future"),
    ({"id": "tn-support-1809"}, "id also used"),
])
def test_the_checker_catches_a_broken_directory_entry(content_copy: Path, changes: dict,
                                                      expected: str) -> None:
    _edit_entry(content_copy, "Tunisia", "tn-ctr-north", **changes)
    errors = _errors(content_copy)
    assert any(expected in e and "directory/tunisia.yml" in e for e in errors), errors


def test_a_stale_or_undated_entry_is_a_warning_and_an_error_in_strict_mode(
        content_copy: Path) -> None:
    _edit_entry(content_copy, "Tunisia", "tn-support-1809", last_verified="2020-01-15")
    findings = check_content(content_copy, today=TODAY, directory_max_age_days=180)
    stale = [f for f in findings if f.where.endswith("tn-support-1809")]
    assert [f.level for f in stale] == ["warning"] and "2020-01-15" in stale[0].message
    strict = check_content(content_copy, today=TODAY, strict=True)
    assert any(f.level == "error" and f.where.endswith("tn-ctr-north") and "never verified"
               in f.message for f in strict)


def test_a_missing_required_field_stops_loading_with_the_file_and_entry(
        content_copy: Path) -> None:
    path = content_copy / "directory" / "egypt.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["entries"][2]["last_verified"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ContentError, match=r"egypt.yml: entry 3: last_verified is required"):
        load_content(content_copy)
    errors = _errors(content_copy)
    assert len(errors) == 1 and "egypt.yml" in errors[0]
