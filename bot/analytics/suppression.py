"""Small-cell suppression that subtraction cannot undo.

A report is detail rows plus a total row; for every indicator, the total is the sum of the
detail cells (for people sensitized it is at most the sum: one person can be in two rows, so
treating it as a sum is the cautious reading). The rule, applied to each indicator's column:

1. **Primary**: a cell with 0 < value < threshold is shown as "<threshold" ("<5"). A zero is
   shown: it says nothing about anyone.
2. **Secondary**: if the total is shown and a column has primary cells, more cells are hidden
   (shown as "x") until the total minus the shown cells no longer narrows any primary cell
   below "<threshold". A reader who knows this rule knows each primary cell is 1..t-1 and each
   secondary cell is at least t; with S the sum of the hidden cells, k primaries and m
   secondaries, a primary cell can be anything from 1 to S - (k-1) - m*t, so the rule asks for
   m >= 1 and S - (k-1) - m*t >= t-1. Secondary cells are chosen to hide as little as possible:
   the smallest cell that is enough on its own, else the largest and keep going.
3. If the detail cells cannot protect a primary cell (too few of them), the total is hidden
   ("x") instead.
4. **Linked columns**: the indicators of one row are not independent. For a topic that is
   only ever a fallback (out of scope, a voice note) unanswered questions equal interactions;
   for a protection topic referrals equal interactions. So a value hidden in one column is
   hidden in every column of its row where the same value shows, and a column left with a
   single hidden cell under a shown total (which subtraction would reveal) hides one more,
   the smallest, or its total. This repeats until nothing changes: it only ever hides more.
"""

from __future__ import annotations

from collections.abc import Sequence

Cell = int | str
SECONDARY = "x"


def primary_label(threshold: int) -> str:
    """Return how a primary-suppressed cell is shown."""
    return f"<{threshold}"


def _protected(hidden: Sequence[int], primaries: int, threshold: int) -> bool:
    secondaries = len(hidden) - primaries
    return secondaries >= 1 and (
        sum(hidden) - (primaries - 1) - secondaries * threshold >= threshold - 1)


def suppress_column(
    details: Sequence[int], total: int, threshold: int
) -> tuple[list[Cell], Cell]:
    """Return the shown detail cells and the shown total of one indicator's column."""
    label = primary_label(threshold)
    shown: list[Cell] = [label if 0 < value < threshold else value for value in details]
    shown_total: Cell = label if 0 < total < threshold else total
    primary = [i for i, value in enumerate(details) if 0 < value < threshold]
    if not primary or shown_total != total:
        return shown, shown_total
    hidden = [details[i] for i in primary]
    candidates = sorted((value, i) for i, value in enumerate(details) if value >= threshold)
    while not _protected(hidden, len(primary), threshold):
        if not candidates:
            return shown, SECONDARY
        enough = [(value, i) for value, i in candidates
                  if _protected([*hidden, value], len(primary), threshold)]
        value, index = enough[0] if enough else candidates[-1]
        candidates.remove((value, index))
        hidden.append(value)
        shown[index] = SECONDARY
    return shown, shown_total


def suppress_table(
    rows: Sequence[dict[str, int]], total: dict[str, int], keys: Sequence[str], threshold: int
) -> tuple[list[dict[str, Cell]], dict[str, Cell]]:
    """Apply the rule to every column `keys` of a table of detail rows and its total row."""
    shown_rows: list[dict[str, Cell]] = [dict(row) for row in rows]
    shown_total: dict[str, Cell] = dict(total)
    for key in keys:
        column, column_total = suppress_column([row[key] for row in rows], total[key],
                                               threshold)
        for row, cell in zip(shown_rows, column, strict=True):
            row[key] = cell
        shown_total[key] = column_total
    _protect_linked(rows, total, keys, shown_rows, shown_total, threshold)
    return shown_rows, shown_total


def _protect_linked(
    rows: Sequence[dict[str, int]], total: dict[str, int], keys: Sequence[str],
    shown_rows: list[dict[str, Cell]], shown_total: dict[str, Cell], threshold: int,
) -> None:
    """Rule 4: hide what a hidden cell's equal neighbours or a lone hidden cell would reveal."""
    label = primary_label(threshold)

    def hidden(cell: Cell) -> bool:
        return cell in (label, SECONDARY)

    changed = True
    while changed:
        changed = False
        for row, shown in zip(rows, shown_rows, strict=True):
            secret = {row[key] for key in keys if hidden(shown[key])}
            for key in keys:
                if not hidden(shown[key]) and row[key] >= threshold and row[key] in secret:
                    shown[key] = SECONDARY
                    changed = True
        for key in keys:
            hidden_rows = [i for i, shown in enumerate(shown_rows) if hidden(shown[key])]
            if len(hidden_rows) != 1 or hidden(shown_total[key]):
                continue
            candidates = sorted((row[key], i) for i, row in enumerate(rows)
                                if not hidden(shown_rows[i][key]) and row[key] >= threshold)
            if candidates:
                shown_rows[candidates[0][1]][key] = SECONDARY
            else:
                shown_total[key] = SECONDARY
            changed = True
