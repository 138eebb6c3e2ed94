"""Compare language detectors on the held-out messages, overall and on one to three words.

Prints accuracy of: langdetect alone, lingua alone (both restricted to the languages they know
of the nine: langdetect and lingua know Somali, neither knows Oromo, Amharic, Tigrinya or
Hausa), and the project's detector (script, Arabizi markers, shared words, then lingua or
langdetect, optionally weighed against the words of the training messages, and with the
character model that reads Arabizi, Oromo, Somali, Hausa, and Amharic from Tigrinya, from their
letters). The real-world Arabizi figures are in
bench/nlu_realworld.py.
Arabic script is decided by script in every project variant; the raw detectors see everything.

Usage: .venv/bin/python bench/language_detectors.py
"""

from __future__ import annotations

import json
import time

from bot.evaluation import load_examples
from bot.language import (
    CharNgramModel,
    LangdetectDetector,
    LanguageDetector,
    LinguaDetector,
    WordLexicon,
    is_latin,
)
from bot.paths import REPO_ROOT
from bot.settings import SUPPORTED_LANGUAGES

LANGID = REPO_ROOT / "tests" / "data" / "langid"


class _RawLingua:
    def __init__(self) -> None:
        from lingua import Language, LanguageDetectorBuilder

        codes = {Language.ENGLISH: "en", Language.FRENCH: "fr", Language.ARABIC: "ar",
                 Language.SPANISH: "es", Language.SOMALI: "so"}
        self._codes = codes
        self._detector = LanguageDetectorBuilder.from_languages(*codes).build()

    def detect(self, text: str) -> str | None:
        found = self._detector.detect_language_of(text)
        return self._codes.get(found) if found else None


class _RawLangdetect:
    def __init__(self) -> None:
        from langdetect import DetectorFactory

        DetectorFactory.seed = 0

    def detect(self, text: str) -> str | None:
        from langdetect import detect_langs
        from langdetect.lang_detect_exception import LangDetectException

        try:
            ranked = [p for p in detect_langs(text) if p.lang in ("en", "fr", "ar", "es", "so")]
        except LangDetectException:
            return None
        return ranked[0].lang if ranked else None


def main() -> None:
    examples = load_examples()  # held-out messages not also in the training data
    lexicon = WordLexicon.from_training_data()
    candidates = {
        "langdetect (raw, en fr ar es so)": _RawLangdetect().detect,
        "lingua (raw, en fr ar es so)": _RawLingua().detect,
        "project + langdetect": LanguageDetector(LangdetectDetector()).detect,
        "project + lingua": LanguageDetector(LinguaDetector()).detect,
        "project + langdetect + words": LanguageDetector(LangdetectDetector(),
                                                         lexicon=lexicon).detect,
        "project + lingua + words": LanguageDetector(LinguaDetector(),
                                                     lexicon=lexicon).detect,
        "project + lingua + words + letters (used)": LanguageDetector(
            LinguaDetector(), lexicon=lexicon, chars=CharNgramModel.from_training_data()).detect,
    }
    languages = sorted({e.language for e in examples}, key=list(SUPPORTED_LANGUAGES).index)
    print(f"{len(examples)} held-out messages; short = 1 to 3 words, long = 4 or more")
    print(f"{'detector':42} {'all':>5} {'short':>5} {'long':>5} {'arabizi':>7} "
          + " ".join(f"{code:>5}" for code in languages) + f" {'us/msg':>7}")
    for name, detect in candidates.items():
        started = time.perf_counter()
        got = []
        for example in examples:
            result = detect(example.text)
            got.append(result if isinstance(result, str) or result is None else result.code)
        per_message = 1e6 * (time.perf_counter() - started) / len(examples)
        pairs = list(zip(examples, got, strict=False))
        short = [(e, g) for e, g in pairs if len(e.text.split()) <= 3]
        long = [(e, g) for e, g in pairs if len(e.text.split()) > 3]
        arabizi = [(e, g) for e, g in pairs if e.language == "ar" and is_latin(e.text)]

        def accuracy(rows):
            return sum(1 for e, g in rows if e.language == g) / len(rows) if rows else 0.0

        per_language = " ".join(
            f"{accuracy([(e, g) for e, g in pairs if e.language == code]):5.3f}"
            for code in languages)
        print(f"{name:42} {accuracy(pairs):5.3f} {accuracy(short):5.3f} {accuracy(long):5.3f} "
              f"{accuracy(arabizi):7.3f} {per_language} {per_message:7.0f}")
    real_sentences(candidates)


def real_sentences(candidates: dict) -> None:
    """The same detectors on real sentences in the new languages (tests/data/langid/)."""
    records = [json.loads(line) for path in sorted(LANGID.glob("*.jsonl"))
               for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not records:
        return
    codes = [c for c in SUPPORTED_LANGUAGES if any(r["language"] == c for r in records)]
    print(f"\n{len(records)} real sentences (SIB-200 / FLORES-200, never trained on)")
    print(f"{'detector':42} {'all':>5} " + " ".join(f"{c:>5}" for c in codes))
    for name, detect in candidates.items():
        got = []
        for record in records:
            result = detect(record["text"])
            got.append(result if isinstance(result, str) or result is None else result.code)
        pairs = list(zip(records, got, strict=False))

        def accuracy(rows):
            return sum(1 for r, g in rows if r["language"] == g) / len(rows) if rows else 0.0

        print(f"{name:42} {accuracy(pairs):5.3f} " + " ".join(
            f"{accuracy([(r, g) for r, g in pairs if r['language'] == c]):5.3f}" for c in codes))

if __name__ == "__main__":
    main()
