"""Text normalisation shared by the NLU components, language detection and the channels.

Pure functions, no Rasa import: people write place names, numbers and keywords with or without
accents, Arabic diacritics, hamza forms, tatweel and Arabic-Indic digits, and every matcher in the
project must see them the same way.
"""

from __future__ import annotations

import re
import unicodedata

_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTER_MAP = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "ة": "ه",
        "گ": "ك",
        "ڭ": "ك",
        "ڤ": "ف",
        "پ": "ب",
    }
)
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
# Letters that Arabic attaches to the next word: and, with/in, so, for, like; then the article.
_ARABIC_PREFIXES = ("و", "ف", "ب", "ل", "ك")

MAX_TEXT_CHARS = 2000


def is_arabic_letter(char: str) -> bool:
    """Return True for a letter of the Arabic script (any block)."""
    code = ord(char)
    return (
        0x0600 <= code <= 0x06FF
        or 0x0750 <= code <= 0x077F
        or 0x08A0 <= code <= 0x08FF
        or 0xFB50 <= code <= 0xFDFF
        or 0xFE70 <= code <= 0xFEFF
    ) and char.isalpha()


def is_ethiopic_letter(char: str) -> bool:
    """Return True for a letter of the Ge'ez script (Amharic, Tigrinya)."""
    return 0x1200 <= ord(char) <= 0x139F


def strip_invisible(text: str) -> str:
    """Remove format characters (RTL/LTR marks, zero-width joiners, BOM) and control characters."""
    return "".join(
        ch
        for ch in text
        if unicodedata.category(ch) not in ("Cf", "Cc", "Cs", "Co") or ch in "\n\t"
    )


def clean_user_text(text: str | None) -> str:
    """Return what a user sent, safe for NLU: visible characters only, bounded length.

    The first MAX_TEXT_CHARS characters carry the question; longer texts (pasted documents,
    forwarded chains) are cut there so one message cannot slow every turn.
    """
    if not text:
        return ""
    text = strip_invisible(unicodedata.normalize("NFC", text))
    text = " ".join(text.split())
    return text[:MAX_TEXT_CHARS]


def neutralize_command_prefix(text: str) -> str:
    """Stop a user's text from being read as a Rasa command.

    Rasa reads a message that starts with "/" as a forced intent with entities
    ("/greet{\"language\": \"ar\"}"). Users must never be able to force an intent or set a slot,
    so leading slashes are removed and the rest is read as ordinary text. Channels map their own
    commands (Telegram's /start, /stop ...) explicitly before calling this.
    """
    stripped = clean_user_text(text)
    while stripped.startswith("/"):
        stripped = stripped[1:].lstrip()
    return stripped


def fold(text: str) -> str:
    """Lower-case and strip accents and Arabic diacritics; unify hamza and digit forms."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch) or is_arabic_letter(ch))
    text = unicodedata.normalize("NFC", text)
    text = _ARABIC_DIACRITICS.sub("", text)
    return text.translate(_ARABIC_LETTER_MAP).translate(_DIGITS)


def tokens(text: str) -> list[str]:
    """Split folded text into word tokens; apostrophes and punctuation separate words."""
    return [t for t in _NON_WORD.sub(" ", fold(text).replace("_", " ")).split() if t]


def arabic_variants(token: str) -> list[str]:
    """Return the token and its forms without attached prefixes ("بالمغرب" -> "مغرب")."""
    variants = [token]
    if not token or not is_arabic_letter(token[0]):
        return variants
    stem = token
    for _ in range(2):
        if len(stem) > 3 and stem[0] in _ARABIC_PREFIXES:
            stem = stem[1:]
            variants.append(stem)
    for form in list(variants):
        if form.startswith("ال") and len(form) > 3:
            variants.append(form[2:])
    return variants


def parse_choice_number(text: str) -> int | None:
    """Return the number of a numbered reply ("2", "٢", "2.", "#2", "n°2", "option 2").

    Only a message that is nothing but a small number counts: "2 kids" is a sentence.
    """
    folded = tokens(text)
    if len(folded) == 2 and folded[0] in {"option", "n", "num", "numero", "number", "رقم"}:
        folded = folded[1:]
    if len(folded) != 1 or not folded[0].isdigit() or len(folded[0]) > 2:
        return None
    value = int(folded[0])
    return value if value > 0 else None


def token_spans(text: str) -> list[tuple[int, int]]:
    """Return the character span in `text` of each token that `tokens(text)` returns."""
    spans: list[tuple[int, int]] = []
    for match in re.finditer(r"[^\W_]+", text):
        spans.extend([(match.start(), match.end())] * len(tokens(match.group())))
    return spans
