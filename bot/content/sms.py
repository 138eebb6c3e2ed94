"""Count SMS segments the way carriers do.

A message that uses only the GSM 03.38 alphabet is sent in GSM-7: 160 characters in one
segment, 153 per segment once split (characters of the extension table count twice). Any other
character (Arabic, Ge'ez, emoji, â ê î ô û ç á í ó ú ...) switches the whole message to UCS-2:
70 UTF-16 code units in one segment, 67 per segment once split.
"""

from __future__ import annotations

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


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
