"""Password hashing (scrypt at its real cost) and the SVG charts."""

from __future__ import annotations

import pytest

from bot.dashboard import passwords
from bot.dashboard.charts import Bar, bar_chart, line_chart
from tests.dashboard.conftest import REAL_SCRYPT_N


def test_passwords_are_hashed_with_scrypt_at_32_mib_and_salted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "N", REAL_SCRYPT_N)  # the other tests use a cheaper N
    stored = passwords.hash_password("correct horse battery staple")
    assert stored.startswith("scrypt$32768$8$1$")
    assert passwords.verify_password(stored, "correct horse battery staple")
    assert not passwords.verify_password(stored, "correct horse battery stapler")
    assert passwords.hash_password("correct horse battery staple") != stored
    assert not passwords.needs_rehash(stored)


def test_a_malformed_hash_never_matches() -> None:
    assert not passwords.verify_password("plain", "plain")
    assert not passwords.verify_password("scrypt$1$2$3$zz$zz", "x")


def test_bars_carry_their_numbers_and_suppressed_cells_get_no_bar() -> None:
    svg = bar_chart([Bar("Morocco", 1200), Bar("Yemen", "<5"), Bar("Egypt", "x")], "By country")
    assert svg.count('class="bar"') == 1
    assert ">1,200<" in svg and ">&lt;5<" in svg and ">x<" in svg


def test_arabic_labels_are_drawn_right_to_left() -> None:
    svg = bar_chart([Bar("العربية", 10), Bar("English", 5)], "By language")
    # Right-aligned at the bars either way: SVG's "start" is the right edge in RTL text.
    assert 'text-anchor="start" class="label" direction="rtl" unicode-bidi="embed" ' \
           'xml:lang="ar">العربية<' in svg
    assert 'text-anchor="end" class="label">English<' in svg


def test_a_line_chart_breaks_where_a_value_is_hidden() -> None:
    svg = line_chart(["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"],
                     {"fr": [1.0, 2.0, None, 4.0]}, "Rate", percent=True)
    assert svg.count("<polyline") == 1 and svg.count("<circle") == 3
