"""Compare language detectors on the held-out messages, overall and on one to three words.

Prints accuracy of: langdetect alone, lingua alone (both restricted to the four languages),
and the project's detector (script, Arabizi markers, shared words, then lingua or langdetect,
optionally weighed against the words of the training messages, and with the character model
that reads Arabizi from its letters). The real-world Arabizi figures are in
bench/nlu_realworld.py.
Arabic script is decided by script in every project variant; the raw detectors see everything.

Usage: .venv/bin/python bench/language_detectors.py
"""

from __future__ import annotations

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


class _RawLingua:
    def __init__(self) -> None:
        from lingua import Language, LanguageDetectorBuilder

        codes = {Language.ENGLISH: "en", Language.FRENCH: "fr", Language.ARABIC: "ar",
                 Language.SPANISH: "es"}
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
            ranked = [p for p in detect_langs(text) if p.lang in ("en", "fr", "ar", "es")]
        except LangDetectException:
            return None
        return ranked[0].lang if ranked else None


def main() -> None:
    examples = load_examples()  # held-out messages not also in the training data
    lexicon = WordLexicon.from_training_data()
    candidates = {
        "langdetect (raw, 4 languages)": _RawLangdetect().detect,
        "lingua (raw, 4 languages)": _RawLingua().detect,
        "project + langdetect": LanguageDetector(LangdetectDetector()).detect,
        "project + lingua": LanguageDetector(LinguaDetector()).detect,
        "project + langdetect + words": LanguageDetector(LangdetectDetector(),
                                                         lexicon=lexicon).detect,
        "project + lingua + words": LanguageDetector(LinguaDetector(),
                                                     lexicon=lexicon).detect,
        "project + lingua + words + letters (used)": LanguageDetector(
            LinguaDetector(), lexicon=lexicon, chars=CharNgramModel.from_training_data()).detect,
    }
    print(f"{len(examples)} held-out messages; short = 1 to 3 words")
    print(f"{'detector':42} {'all':>6} {'short':>6} {'latin':>6} {'arabizi':>7} {'us/msg':>8}")
    for name, detect in candidates.items():
        started = time.perf_counter()
        got = []
        for example in examples:
            result = detect(example.text)
            got.append(result if isinstance(result, str) or result is None else result.code)
        per_message = 1e6 * (time.perf_counter() - started) / len(examples)
        pairs = list(zip(examples, got, strict=False))
        short = [(e, g) for e, g in pairs if len(e.text.split()) <= 3]
        latin = [(e, g) for e, g in pairs if e.language != "ar"]
        arabizi = [(e, g) for e, g in pairs if e.language == "ar" and is_latin(e.text)]
        def accuracy(rows):
            return sum(1 for e, g in rows if e.language == g) / len(rows)
        print(f"{name:42} {accuracy(pairs):6.3f} {accuracy(short):6.3f} {accuracy(latin):6.3f} "
              f"{accuracy(arabizi):7.3f} {per_message:8.0f}")


if __name__ == "__main__":
    main()
