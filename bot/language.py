"""Tell which of the supported languages a message is written in, and decide the reply language.

Two questions, kept apart:

* `LanguageDetector.detect(text)` looks at the text alone: the script (Arabic script is Arabic;
  Ge'ez script is Amharic or Tigrinya, told apart by their letters and words), words every
  language uses ("ok", "merci", "salam", a number, an emoji), the letters and words of Oromo,
  Somali and Hausa (which no statistical detector here knows), Arabizi (Arabic written in Latin
  letters and digits, which fools every statistical detector), then a statistical detector
  restricted to English, French and Spanish. It returns a best guess and
  whether the guess is strong enough to switch a conversation's language.
* `decide_language(...)` applies the per-turn order: an explicit choice, a decisive reading of the
  text, the conversation's previous language, a channel hint, a weak guess from the text, the
  default.

Arabizi gets an Arabic reply in Arabic script: people write Latin letters because of their
keyboard, and those who read Darija or Egyptian in Latin letters read Arabic script too.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from bot.nlu.examples import read_examples
from bot.paths import NLU_DATA_DIR, OFFTOPIC_DIR
from bot.settings import SUPPORTED_LANGUAGES
from bot.text import is_arabic_letter, is_ethiopic_letter, tokens

SUPPORTED = SUPPORTED_LANGUAGES
# The character model's name for Arabic written in Latin letters; it is answered as "ar".
ARABIZI = "arabizi"
# Languages no statistical detector here knows; the character model reads them from the training
# messages (and real chat) of `bot/nlu/<code>/` and `bot/offtopic/<code>/`. Amharic and Tigrinya
# share the Ge'ez script, so the script alone says "one of the two" and their letters decide;
# Oromo, Somali and Hausa are told from English, French, Spanish and Arabizi by their letters
# ("dh", "x", "aa", "ts"...), and people also write Amharic and Tigrinya in Latin letters.
LETTER_LANGUAGES = ("om", "am", "ti", "so", "ha")
# The character model's classes for Amharic and Tigrinya in Ge'ez script; "am" and "ti" are
# the same languages in Latin letters ("selam endet neh", "kemey aleka").
ETHIOPIC = {"am_geez": "am", "ti_geez": "ti"}
LATIN_CLASSES = ("en", "fr", "es", ARABIZI)
# The character model's probability from which a Latin-script message is read as one of
# `LETTER_LANGUAGES`, and from which that reading may switch the conversation's language
# (measured in bench/nlu_quality.py and bench/language_detectors.py).
LETTERS_MIN = 0.5
LETTERS_DECISIVE = 0.8
# A message of at most `SHORT_MARKED_WORDS` words that holds an SMS word of English, French or
# Spanish ("r u robot?") needs this much: "u" is also a Somali word, and a short English SMS
# read as Somali is answered in a language its writer cannot read.
SHORT_MARKED_WORDS = 3
LETTERS_DECISIVE_MARKED = 0.9
# In Ge'ez script the language is Amharic or Tigrinya: from this probability the letters switch
# a conversation between the two.
ETHIOPIC_DECISIVE = 0.75

# Tokens that only Arabic written in Latin letters uses (Darija, Egyptian, Levantine, Sudanese,
# Tunisian, Libyan): a weight of 1. Tokens that also exist in French, Spanish or English: 0.5.
_ARABIZI_STRONG = frozenset(
    """wach wash wesh bghit bghina bghiti kifach kifash kifech kifesh chno chnou chnu shno shnu
    chnowa chneya 3afak 3fak afak wakha mashi machi ntoma 7na hna dyal dial diali dyali ndir
    nqder n9der kayn kayen kayna makaynch makaynsh ma3ndich ma3endich 3ndi 3andi 3andek 3ndek
    sbitar sbitar lsbitar tbib tbiba flous flouss bzaf bezaf bzzaf chwiya chwia daba drari mrid
    mrida wra9 wraq lwra9 lwraq lkhdma m3a kifma 3lach 3lash walakin mzyan mezyan bslama beslama
    chokran choukran shukran shokran inchallah nchallah hamdullah hamdoulah labas ezay ezzay
    izzay 3ayez 3awez 3ayza 3awza ayez 3ayzin feen fein emta mesh msh mish keda kda delwa2ty
    dilwa2ti 7aga 3shan 3ashan ba2a bta3 beta3 ya3ni mafeesh mafish doktor mostashfa mustashfa
    mostashfa 3eyada ta3ban bkam bekam gneh geneh momken mumkin shlon shlonak wein chinu shinu
    nabi nebbi n7eb nheb barsha famma mouch mech kifech ya5i behi tawa walo wlad bent rajli
    mrati zwaj 7amel hamla 3yalat sahbi khoya khouya khti ukhti akhi habibi yalla yallah
    inshallah wallah wellah 3la 3ala 3lih 3liha ana9 nmchi nemchi nmshi mchit nji jit 3tini
    3teni 3awni 3awnouni ma3rftch ma3reftch 3reft bach bash baghi baghya tabib tbib chorta
    shorta insan wala walla kolchi kolshi 3liya 3lia liya nsaw khdaw chadouni tilifon mostawsaf
    lmostawsaf ghadi ghir rani raha fach imta hadchi hadak hadik walou bezzaf chhal bchhal
    chh7al ch7al shhal 9adach b9adach kifash mzyana l3ilaj 3ilaj fabor lfabor dwa ddwa
    mra rajel wlidi bnti khouti lbla3 nmout kanmout bla""".split()
)
_ARABIZI_WEAK = frozenset(
    """la ma fi fe el al ana enta enti nta nti howa heya men min ila ida wah salam slm salamu
    alaykum alikoum 3likom aleykum baraka allah yak sahha khouya mama baba fin hal l f w b
    dar""".split()
)
_ARABIZI_DIGIT = re.compile(r"(?<=[a-z])[235789]|[235789](?=[a-z])")
# SMS words that belong to one language only; each one counts as evidence for it.
_MARKERS = {
    "fr": frozenset("""slt bjr bsr cv stp svp jsuis chui jsui pk tkt mdr dacc jpp jsp jveux
        jvais ptdr bcp tjrs qlq qqn qq vs ns oklm wsh frr""".split()),
    "es": frozenset("""porfa xfa xfavor xq tb tmb q k ke hla olas eres estoy tengo necesito
        quiero donde hay gracias graciass""".split()),
    "en": frozenset("""pls plz im u ur thx ty wanna gonna gotta dunno abeg wetin dey
        una""".split()),
}
MARKER_WEIGHT = 0.35
# The character model's P(Arabizi) from which a message is read as Arabic, and from which that
# reading may switch the conversation's language (measured in bench/language_detectors.py).
ARABIZI_CHARS_MIN = 0.5
ARABIZI_CHARS_DECISIVE = 0.8
# Below `ARABIZI_CHARS_MIN` but this likely Arabizi: another language read from the same text
# does not switch the conversation either.
ARABIZI_CHARS_DOUBT = 0.3

_ORDINALS = frozenset("2nd 3rd 5th 7th 8th 9th 3g 5g mp3 2eme 3eme 5eme 7eme 8eme 9eme".split())

# Words people of all four languages use; alone they say nothing about the language. Each maps
# to a weak guess used only when nothing better is known.
_NEUTRAL = {
    "ok": None, "okay": None, "oki": None, "okey": None, "k": None, "kk": None, "yes": "en",
    "no": None, "non": "fr", "si": "es", "oui": "fr", "merci": "fr", "mersi": "fr",
    "bye": None, "ciao": None, "hi": "en", "hello": "en", "hallo": None, "salut": "fr",
    "salam": "ar", "slm": "ar", "thanks": "en", "thx": "en", "hola": "es", "allo": None,
    "alo": None, "help": "en", "menu": None, "stop": None, "sos": None, "start": None,
    "info": None, "please": "en", "svp": "fr", "wakha": "ar", "safi": "ar", "inchallah": "ar",
    "hamdulillah": "ar", "vale": "es", "gracias": "es", "bonjour": "fr", "bjr": "fr",
    "bonsoir": "fr", "adios": "es", "shukran": "ar", "chokran": "ar", "good": "en",
}


@dataclass(frozen=True)
class Detection:
    """What the text alone says about its language."""

    code: str | None
    confidence: float
    method: str
    decisive: bool


class StatisticalDetector(Protocol):
    """A detector restricted to the Latin-script supported languages."""

    def confidences(self, text: str) -> dict[str, float]:
        """Return a confidence in [0, 1] for each of "en", "fr", "es"."""


class LinguaDetector:
    """lingua-language-detector, its models shipped inside the wheel (works offline)."""

    def __init__(self) -> None:
        from lingua import Language, LanguageDetectorBuilder

        self._codes = {Language.ENGLISH: "en", Language.FRENCH: "fr", Language.SPANISH: "es"}
        self._detector = (
            LanguageDetectorBuilder.from_languages(*self._codes)
            .with_preloaded_language_models()
            .build()
        )

    def confidences(self, text: str) -> dict[str, float]:
        """Return lingua's confidence for each language."""
        return {
            self._codes[value.language]: value.value
            for value in self._detector.compute_language_confidence_values(text)
        }


class LangdetectDetector:
    """langdetect, seeded so the same text always gets the same answer."""

    def __init__(self) -> None:
        from langdetect import DetectorFactory

        DetectorFactory.seed = 0
        self._factory = DetectorFactory()
        self._factory.load_profile(_langdetect_profiles())
        self._factory.set_seed(0)

    def confidences(self, text: str) -> dict[str, float]:
        """Return langdetect's probabilities over en, fr and es (renormalised)."""
        from langdetect.lang_detect_exception import LangDetectException

        detector = self._factory.create()
        detector.append(text)
        try:
            probabilities = {p.lang: p.prob for p in detector.get_probabilities()}
        except LangDetectException:
            return {}
        total = sum(probabilities.get(code, 0.0) for code in ("en", "fr", "es")) or 1.0
        return {code: probabilities.get(code, 0.0) / total for code in ("en", "fr", "es")}


def _langdetect_profiles() -> str:
    import os

    import langdetect

    return os.path.join(os.path.dirname(langdetect.__file__), "profiles")


class WordLexicon:
    """How often each word appears in the training messages of each Latin-script language.

    lingua knows general French, English and Spanish; our users write unaccented, abbreviated
    messages about health ("je suis deprime", "planning familial", "vaccin covid stp") that
    lingua alone often gives to the wrong language. The words of the training messages are a
    second, domain-specific opinion, combined with lingua's by multiplying the two
    distributions (a naive Bayes over words, add-one smoothed).
    """

    def __init__(self, counts: dict[str, Counter[str]]) -> None:
        self._counts = counts
        self._totals = {code: sum(c.values()) for code, c in counts.items()}
        self._vocabulary = len(set().union(*counts.values())) if counts else 0

    @classmethod
    def from_training_data(cls, root: Path = NLU_DATA_DIR,
                           languages: tuple[str, ...] = ("en", "fr", "es")) -> WordLexicon:
        """Count the words of `root/<language>/*.yml` (Rasa NLU files)."""
        counts: dict[str, Counter[str]] = {}
        for code in languages:
            counter: Counter[str] = Counter()
            for path in sorted((root / code).glob("*.yml")):
                for text, _ in read_examples(path):
                    counter.update(tokens(text))
            if counter:
                counts[code] = counter
        return cls(counts)

    def probabilities(self, words: list[str]) -> dict[str, float]:
        """Return P(language | words) over the lexicon's languages; uniform if none known."""
        if not self._counts:
            return {}
        scores = {}
        for code, counter in self._counts.items():
            denominator = self._totals[code] + self._vocabulary
            scores[code] = sum(math.log((counter[w] + 1) / denominator) for w in words)
        best = max(scores.values())
        weights = {code: math.exp(score - best) for code, score in scores.items()}
        total = sum(weights.values())
        return {code: weight / total for code, weight in weights.items()}


class CharNgramModel:
    """Character n-grams of each language's words, for what general detectors do not know.

    A word list cannot know every spelling of Darija, Egyptian or Levantine ("ntmchaw", "rah",
    "9reb", "ezayak", "baddi") and many Arabizi messages carry no digit at all. Letter sequences
    tell them apart: "kh", "ch" before a consonant, "ou" and doubled vowels mark Arabizi as surely
    as "th", "qu" or "-tion" mark English, French or Spanish, and "dh", "x", "aa" mark Somali or
    Oromo. A naive Bayes over the 1- to 4-grams of each word (with word boundaries), add-one
    smoothed, trained on the training messages and real everyday chat (`bot/offtopic/<language>/`,
    Arabizi in `*_arabizi.yml`): en, fr, es, `ARABIZI` and the `LETTER_LANGUAGES` in Latin
    letters, and Amharic and Tigrinya in Ge'ez script (`ETHIOPIC`, classes of their own).
    `probabilities(words, among=...)` compares the languages of one script only.
    """

    ORDERS = (1, 2, 3, 4)

    def __init__(self, counts: dict[str, Counter[str]],
                 words: dict[str, Counter[str]] | None = None) -> None:
        self._counts = counts
        self._totals = {code: sum(c.values()) for code, c in counts.items()}
        # The add-one smoothing's vocabulary, per set of classes compared (`_vocabulary_of`).
        self._vocabularies: dict[tuple[str, ...], int] = {}
        self._words = words or {}
        self._word_totals = {code: sum(c.values()) for code, c in self._words.items()}
        self._word_vocabulary = len(set().union(*self._words.values())) if self._words else 0

    @property
    def languages(self) -> tuple[str, ...]:
        """Return the classes the model knows."""
        return tuple(self._counts)

    @classmethod
    def grams(cls, words: list[str]) -> list[str]:
        """Return the character n-grams of `words`, each word framed by spaces."""
        found = []
        for word in words:
            framed = f" {word} "
            for order in cls.ORDERS:
                found += [framed[i:i + order] for i in range(len(framed) - order + 1)
                          if framed[i:i + order].strip()]
        return found

    @classmethod
    def from_training_data(cls, root: Path = NLU_DATA_DIR,
                           chat: Path = OFFTOPIC_DIR) -> CharNgramModel:
        """Count the n-grams of the training messages and chat, per language and script."""
        def files(code: str, pattern: str = "*.yml") -> list[Path]:
            return [*sorted((root / code).glob("*.yml")), *sorted((chat / code).glob(pattern))]

        latin: dict[str, list[Path]] = {code: files(code) for code in ("en", "fr", "es")}
        latin[ARABIZI] = [*sorted((root / "ar").glob("*.yml")),
                          *sorted((chat / "ar").glob("*_arabizi.yml"))]
        latin.update({code: files(code) for code in LETTER_LANGUAGES})
        sources = {**{code: ("latin", paths) for code, paths in latin.items()},
                   **{name: ("ethiopic", files(code)) for name, code in ETHIOPIC.items()}}
        counts: dict[str, Counter[str]] = {}
        words: dict[str, Counter[str]] = {}
        for code, (wanted, paths) in sources.items():
            counter: Counter[str] = Counter()
            seen: Counter[str] = Counter()
            for path in paths:
                for text, _ in read_examples(path):
                    if _script(text) == wanted:
                        found = [w for w in tokens(text) if not w.isdigit()]
                        counter.update(cls.grams(found))
                        seen.update(found)
            if counter:
                counts[code] = counter
                words[code] = seen
        return cls(counts, words)

    def probabilities(self, words: list[str],
                      among: tuple[str, ...] | None = None) -> dict[str, float]:
        """Return P(language | words) over `among` (default: every class); empty if unknown.

        The log-likelihood is averaged over a word's n-grams: the n-grams of one word are far
        from independent, and summing them would make every guess look certain.
        """
        grams = self.grams(words)
        classes = [code for code in (among or self._counts) if code in self._counts]
        if not classes or not grams:
            return {}
        scale = len(words) / len(grams)
        vocabulary = self._vocabulary_of(tuple(classes))
        scores = {}
        for code in classes:
            counter = self._counts[code]
            denominator = self._totals[code] + vocabulary
            scores[code] = scale * sum(math.log((counter[g] + 1) / denominator) for g in grams)
        best = max(scores.values())
        weights = {code: math.exp(score - best) for code, score in scores.items()}
        total = sum(weights.values())
        return {code: weight / total for code, weight in weights.items()}

    def _vocabulary_of(self, classes: tuple[str, ...]) -> int:
        """Return how many n-grams the `classes` know between them (the add-one smoothing's
        vocabulary), so that adding a language in another script changes nothing here."""
        if classes not in self._vocabularies:
            self._vocabularies[classes] = len(set().union(*(self._counts[c] for c in classes)))
        return self._vocabularies[classes]

    def with_words(self, words: list[str],
                   among: tuple[str, ...] | None = None) -> dict[str, float]:
        """Return `probabilities` weighed by the whole words a language's messages use.

        A naive Bayes over the words (add-one smoothed) that some class has seen; a word no
        class has seen says nothing, rather than favouring the classes with the least data.
        Words such as "efelgalehu", "waan", "zan" or "bghit" belong to one language only.
        """
        letters = self.probabilities(words, among)
        classes = [code for code in letters if code in self._words]
        known = [w for w in words if any(self._words[code][w] for code in classes)]
        if not known or not classes:
            return letters
        scores = {}
        for code in classes:
            denominator = self._word_totals[code] + self._word_vocabulary
            scores[code] = sum(math.log((self._words[code][w] + 1) / denominator)
                               for w in known)
        best = max(scores.values())
        combined = {code: letters[code] * math.exp(scores[code] - best) for code in classes}
        total = sum(combined.values()) or 1.0
        return {code: value / total for code, value in combined.items()}


def _script(text: str) -> str | None:
    """Return "latin", "arabic" or "ethiopic" for the script of most letters, None if none."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return None
    arabic = sum(1 for ch in letters if is_arabic_letter(ch))
    ethiopic = sum(1 for ch in letters if is_ethiopic_letter(ch))
    if arabic / len(letters) >= 0.5:
        return "arabic"
    if ethiopic / len(letters) >= 0.5:
        return "ethiopic"
    return "latin" if (arabic + ethiopic) / len(letters) <= 0.2 else None


def is_latin(text: str) -> bool:
    """Return True when most letters of `text` are Latin."""
    return _script(text) == "latin"


def arabizi_score(words: list[str]) -> float:
    """Return the share of tokens that mark Arabic written in Latin letters."""
    if not words:
        return 0.0
    score = 0.0
    for word in words:
        if word in _ARABIZI_STRONG:
            score += 1.0
        elif word not in _ORDINALS and _ARABIZI_DIGIT.search(word) and not word.isdigit():
            score += 1.0
        elif word in _ARABIZI_WEAK:
            score += 0.5
    return score / len(words)


class LanguageDetector:
    """Read the language of one message; see the module docstring for the order of evidence."""

    def __init__(
        self,
        statistical: StatisticalDetector | None = None,
        decisive_confidence: float = 0.6,
        lexicon: WordLexicon | None = None,
        chars: CharNgramModel | None = None,
    ) -> None:
        self._statistical = statistical if statistical is not None else LinguaDetector()
        self._decisive_confidence = decisive_confidence
        self._lexicon = lexicon
        self._chars = chars

    def detect(self, text: str) -> Detection:
        """Return the best guess for `text` and whether it is strong enough to act on."""
        script = _script(text)
        letters = [ch for ch in text if ch.isalpha()]
        if not letters:
            return Detection(None, 0.0, "no_letters", False)
        if script == "arabic":
            return Detection("ar", 0.99, "script", True)
        if script == "ethiopic" or any(is_ethiopic_letter(ch) for ch in letters):
            # Only Amharic and Tigrinya are written in Ge'ez: one word in that script
            # ("thank you ብዙ ተጠቀምኩ", "shukran ወንድሜ") says which two languages it can be.
            return self._ethiopic(text, decisive=script == "ethiopic")

        words = [w for w in tokens(text) if not w.isdigit()]
        if words and all(w in _NEUTRAL for w in words):
            guesses = {_NEUTRAL[w] for w in words} - {None}
            guess = guesses.pop() if len(guesses) == 1 else None
            return Detection(guess, 0.3 if guess else 0.0, "neutral_words", False)

        chars = self._chars
        # Oromo, Somali and Hausa (and Amharic or Tigrinya in Latin letters) have no detector
        # but their letters and words: the character model reads them against every other
        # Latin-script class. A clear reading comes before the Arabizi word list, whose short
        # words ("ma", "la", "fi") are Somali and Hausa words too.
        letters_say = (chars.with_words(words, among=(*LATIN_CLASSES, *LETTER_LANGUAGES))
                       if chars is not None else {})
        other = {code: p for code, p in letters_say.items() if code in LETTER_LANGUAGES}
        best, probability = max(other.items(), key=lambda item: item[1]) if other else (None, 0.)
        markers = any(word in words_of for words_of in _MARKERS.values() for word in words)
        decisive = (LETTERS_DECISIVE_MARKED if markers and len(words) <= SHORT_MARKED_WORDS
                    else LETTERS_DECISIVE)
        if best is not None and probability >= decisive:
            return Detection(best, round(probability, 4), "letters", len(words) >= 2)
        share = arabizi_score(words)
        if share >= 0.34 or (share >= 0.25 and len(words) >= 4):
            return Detection("ar", min(0.99, 0.5 + share), "arabizi", True)
        if best is not None and probability >= LETTERS_MIN and not markers:
            # A weak reading; an SMS word of English, French or Spanish ("u", "stp") wins.
            return Detection(best, round(probability, 4), "letters", False)
        # Then Arabizi against English, French and Spanish, as measured before the new classes.
        letters_say = (chars.probabilities(words, among=("en", "fr", "es", ARABIZI))
                       if chars is not None else {})
        arabizi = letters_say.get(ARABIZI, 0.0)
        if arabizi >= ARABIZI_CHARS_MIN:
            # One word is too little to switch a conversation to Arabic on letters alone.
            decisive = arabizi >= ARABIZI_CHARS_DECISIVE and (len(words) >= 2 or share > 0)
            return Detection("ar", round(arabizi, 4), "arabizi_letters", decisive)

        # The detector reads the text as written: accents and apostrophes are strong evidence.
        confidences = self._statistical.confidences(_letters_only(text))
        if not confidences:
            return Detection(None, 0.0, "detector", False)
        if self._lexicon is not None:
            known = self._lexicon.probabilities(words)
            if known:
                confidences = {code: value * known.get(code, 0.0)
                               for code, value in confidences.items()}
                total = sum(confidences.values()) or 1.0
                confidences = {code: value / total for code, value in confidences.items()}
        for code, markers in _MARKERS.items():
            hits = sum(1 for word in words if word in markers)
            if hits and code in confidences:
                confidences[code] += MARKER_WEIGHT * hits
        total = sum(confidences.values()) or 1.0
        confidences = {code: value / total for code, value in confidences.items()}
        code, confidence = max(confidences.items(), key=lambda item: item[1])
        # Letters that may well be Arabizi make English, French or Spanish a guess only.
        doubt = arabizi >= ARABIZI_CHARS_DOUBT
        return Detection(code, round(confidence, 4), "detector",
                         confidence >= self._decisive_confidence and not doubt)


    def _ethiopic(self, text: str, decisive: bool = True) -> Detection:
        """Amharic or Tigrinya, from the letters and words of a message in Ge'ez script."""
        words = [w for w in tokens(text) if not w.isdigit()]
        letters_say = (self._chars.with_words(words, among=tuple(ETHIOPIC))
                       if self._chars is not None else {})
        if not letters_say:
            # The script says one of the two; which one is a guess.
            return Detection("am", 0.5, "ethiopic_script", False)
        name, probability = max(letters_say.items(), key=lambda item: item[1])
        return Detection(ETHIOPIC[name], round(probability, 4), "ethiopic_letters",
                         decisive and probability >= ETHIOPIC_DECISIVE)


def _letters_only(text: str) -> str:
    """Keep words, accents and apostrophes; drop digits, emoji and punctuation runs."""
    kept = "".join(ch if ch.isalpha() or ch in "'’ " else " " for ch in text)
    return " ".join(kept.split())


def decide_language(
    detection: Detection,
    *,
    explicit: str | None = None,
    previous: str | None = None,
    hint: str | None = None,
    default: str = "en",
) -> str:
    """Return the language to reply in this turn.

    Order: an explicit choice (a language named with choose_language, a menu choice, a
    command); a decisive reading of the text; the conversation's previous language; a channel
    hint (Telegram's language_code); a weak guess from the text; the default.
    """
    for candidate in (
        explicit,
        detection.code if detection.decisive else None,
        previous,
        _base_code(hint),
        detection.code,
    ):
        if candidate in SUPPORTED:
            return candidate
    return default


def _base_code(hint: str | None) -> str | None:
    """Return "fr" for "fr-MA", None for an empty hint."""
    return hint.split("-")[0].split("_")[0].lower() if hint else None


@lru_cache(maxsize=2)
def get_detector(backend: str = "lingua") -> LanguageDetector:
    """Return a shared detector; models load once per process."""
    lexicon = WordLexicon.from_training_data()
    chars = CharNgramModel.from_training_data()
    if backend == "langdetect":
        return LanguageDetector(LangdetectDetector(), lexicon=lexicon, chars=chars)
    return LanguageDetector(LinguaDetector(), lexicon=lexicon, chars=chars)
