"""Count SMS segments the way carriers do.

A message that uses only the GSM 03.38 alphabet is sent in GSM-7: 160 characters in one
segment, 153 per segment once split (characters of the extension table count twice). Any other
character (Arabic, Ge'ez, emoji, â ê î ô û ç á í ó ú ...) switches the whole message to UCS-2:
70 UTF-16 code units in one segment, 67 per segment once split.
"""

from __future__ import annotations

import re
from collections.abc import Callable

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


# Latin letters and signs outside GSM-7, each with the GSM-7 text a reader takes for it. Spanish
# á í ó ú and French â ê î ô û ç œ would otherwise switch a whole answer to UCS-2, at 67
# characters a segment instead of 153: people on little credit write without accents anyway.
_GSM7_FOLDS = str.maketrans({
    "á": "a", "í": "i", "ó": "o", "ú": "u", "ý": "y", "â": "a", "ê": "e", "î": "i", "ô": "o",
    "û": "u", "ë": "e", "ï": "i", "ÿ": "y", "ç": "c", "ã": "a", "õ": "o",
    "Á": "A", "Í": "I", "Ó": "O", "Ú": "U", "Â": "A", "Ê": "E", "Î": "I", "Ô": "O", "Û": "U",
    "À": "A", "È": "E", "Ì": "I", "Ò": "O", "Ù": "U", "Ë": "E", "Ï": "I",
    "œ": "oe", "Œ": "OE", "’": "'", "‘": "'", "“": '"', "”": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "…": "...", "\u00a0": " ", "\u202f": " ",
})


def gsm_fold(text: str) -> str:
    """Return `text` in GSM-7 by dropping accents GSM-7 lacks, or `text` itself if it can't be.

    Only a text that becomes wholly GSM-7 is changed: Arabic, Ge'ez or an emoji keeps UCS-2
    anyway, and then the accents cost nothing more.
    """
    if is_gsm7(text):
        return text
    folded = text.translate(_GSM7_FOLDS)
    return folded if is_gsm7(folded) else text


def is_gsm7(text: str) -> bool:
    """Return True when every character of `text` can be sent in GSM-7."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def encoding(text: str) -> str:
    """Return "GSM-7" or "UCS-2"."""
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def units(text: str) -> int:
    """Return the length of `text` in its encoding's units (septets or UTF-16 code units)."""
    if is_gsm7(text):
        return sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    """Return how many SMS segments `text` takes (0 for an empty text)."""
    if not text:
        return 0
    single, multi = (160, 153) if is_gsm7(text) else (70, 67)
    length = units(text)
    return 1 if length <= single else -(-length // multi)


# A sentence ends with . ! ? … or the Arabic question mark, then optional closing quotes or
# brackets, then whitespace; a line break always ends one.
_SENTENCE_END = re.compile(r"[.!?…؟۔][\"'»)\]]*[ \t]+|\n+")
_NUMBERING = re.compile(r"(?:^|\s)\d{1,2}[.)]$")


def boundaries(text: str) -> tuple[list[int], list[int]]:
    """Return the offsets where `text` may be cut: after sentences, and between words.

    A cut is never inside a word, so never inside a URL (URLs hold no spaces). "2. Cost" in a
    numbered list is not a sentence end.
    """
    sentences = [
        match.end()
        for match in _SENTENCE_END.finditer(text)
        if match.group().startswith("\n") or not _NUMBERING.search(text[: match.start() + 1])
    ]
    words = [match.end() for match in re.finditer(r"\s+", text)]
    return sentences, words


def cut(text: str, fits: Callable[[str], bool]) -> tuple[str, str]:
    """Split `text` into a head for which `fits(head)` holds and the rest.

    The head ends at the last sentence boundary that fits, else at the last word boundary,
    and only when a single word is longer than the whole budget inside that word.
    """
    text = text.strip()
    if fits(text):
        return text, ""
    sentences, words = boundaries(text)
    for candidates in (sentences, words):
        for offset in reversed(candidates):
            head = text[:offset].rstrip()
            if head and fits(head):
                return head, text[offset:].strip()
    size = len(text)
    while size > 1 and not fits(text[:size]):
        size -= 1
    return text[:size], text[size:].strip()


def split(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Split `text` into parts that each fit, cutting as `cut` does."""
    parts: list[str] = []
    rest = text.strip()
    while rest:
        head, rest = cut(rest, fits)
        parts.append(head)
    return parts


def fit_budget(text: str, budget: int, more_hint: str) -> tuple[str, str]:
    """Return (message, rest): at most `budget` segments, ending with `more_hint` if cut.

    The hint ("Reply MORE for the rest") is counted inside the budget, so the person never
    pays for more segments than the budget says.
    """
    if segments(text.strip()) <= budget:
        return text.strip(), ""
    head, rest = cut(text, lambda head: segments(f"{head}\n{more_hint}") <= budget)
    return f"{head}\n{more_hint}", rest
