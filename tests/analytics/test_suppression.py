"""Small cells are hidden, and no published total gives them back."""

from __future__ import annotations

import itertools
import random

import pytest

from bot.analytics.suppression import SECONDARY, suppress_column, suppress_table

T = 5


def feasible_values(shown: list[int | str], total: int | str, index: int) -> set[int]:
    """Return every value of cell `index` consistent with what is published and the rule.

    The reader knows the rule: "<5" is 1..4, "x" is at least 5 (a zero is always shown), and the
    cells add up to the total. Brute force over small tables.
    """
    if not isinstance(total, int):
        return set(range(1, T)) if shown[index] == f"<{T}" else set(range(T, 200))
    hidden = [i for i, cell in enumerate(shown) if not isinstance(cell, int)]
    remainder = total - sum(cell for cell in shown if isinstance(cell, int))
    ranges = [range(1, T) if shown[i] == f"<{T}" else range(T, remainder + 1) for i in hidden]
    found = set()
    for values in itertools.product(*ranges):
        if sum(values) == remainder:
            found.add(values[hidden.index(index)])
    return found


def test_cells_below_the_threshold_show_as_less_than_it() -> None:
    shown, total = suppress_column([0, 3, 40, 12], 55, T)
    assert shown[0] == 0, "a zero is shown: it discloses no one"
    assert shown[1] == "<5"
    assert total == 55


def test_one_small_cell_is_not_left_alone_next_to_a_published_total() -> None:
    shown, total = suppress_column([3, 40, 12, 9], 64, T)
    assert shown.count(SECONDARY) >= 1
    assert feasible_values(shown, total, 0) == {1, 2, 3, 4}


def test_two_small_cells_that_would_add_up_to_a_giveaway_get_a_complement() -> None:
    # 1 + 1 = 2 would reveal both: hidden cells summing to 2 can only be (1, 1)
    shown, total = suppress_column([1, 1, 30, 30], 62, T)
    assert shown[:2] == ["<5", "<5"] and SECONDARY in shown
    assert feasible_values(shown, total, 0) == {1, 2, 3, 4}


def test_the_total_is_hidden_when_the_details_cannot_protect_a_cell() -> None:
    shown, total = suppress_column([2, 0, 0], 2, T)
    assert shown == ["<5", 0, 0] and total == "<5"
    shown, total = suppress_column([2, 6], 8, T)  # 6 alone leaves 2 known to be 1..3
    assert total == SECONDARY or feasible_values(shown, total, 0) == {1, 2, 3, 4}


def test_random_tables_never_let_a_small_cell_be_worked_out() -> None:
    rng = random.Random(4)
    for _ in range(400):
        size = rng.randint(1, 5)
        details = [rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 9, 15, 30]) for _ in range(size)]
        shown, total = suppress_column(details, sum(details), T)
        for i, value in enumerate(details):
            if 0 < value < T:
                assert shown[i] == "<5"
                assert feasible_values(shown, total, i) == {1, 2, 3, 4}, (details, shown, total)
            elif shown[i] != SECONDARY:
                assert shown[i] == value


@pytest.mark.parametrize("threshold", [3, 10])
def test_the_threshold_is_a_setting(threshold: int) -> None:
    rows, total = suppress_table([{"a": 2}, {"a": 50}], {"a": 52}, ["a"], threshold)
    assert rows[0]["a"] == f"<{threshold}"


def test_a_cell_hidden_in_one_column_is_not_shown_in_a_linked_one() -> None:
    """Out of scope is always a fallback, so its interactions equal its unanswered questions:
    hiding one and showing the other would let a reader subtract their way to the small cell."""
    keys = ("interactions", "unanswered_questions")
    rows = [{"topic": "out_of_scope", "interactions": 70, "unanswered_questions": 70},
            {"topic": "health_rights", "interactions": 100, "unanswered_questions": 3},
            {"topic": "gbv", "interactions": 50, "unanswered_questions": 0},
            {"topic": "health_cost", "interactions": 40, "unanswered_questions": 0}]
    total = {"interactions": 260, "unanswered_questions": 73}
    shown, shown_total = suppress_table(rows, total, keys, 5)
    assert shown[1]["unanswered_questions"] == "<5"
    assert shown[0]["unanswered_questions"] == "x"
    assert shown[0]["interactions"] == "x"  # equal to the hidden 70
    # ... and not the only hidden interactions cell, which the total would give away.
    assert sum(row["interactions"] == "x" for row in shown) >= 2
    assert shown_total == total
