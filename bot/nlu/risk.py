"""Words of danger: a message holding one is never taken for small talk.

Pure: imported by the NLU's domain gate and by the fallback action alike.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bot.text import arabic_variants, fold, tokens

# Words that mark danger in the four languages, Darija and Egyptian included, by the protection
# topic each points to; one ending in "*" is a word beginning. A message holding one is never
# answered as off topic, whatever its score: at worst it is asked about, with the word's topic
# among the numbered choices (`bot.nlu.components.DomainGate`). Each key names the topics its
# words point to; a word that points to two ("mourir": dying, or wishing to die) offers the
# first, and counts as pointing to both. Kept short and specific, since each one turns small
# talk that holds it into a question. Folded like the messages (no accents, diacritics or
# hamza); Arabic words are also tried without their attached prefixes ("للإسعاف" is "اسعاف").
DANGER_TOPICS: dict[str, tuple[str, ...]] = {
    "emergency": tuple("""
        sos emergency ambulance urgence urgences urgent urgente emergencia ambulancia طوارئ
        اسعاف* dying bleed* unconscious overdose saigne* inconscient* sangr*
        نزيف ينزف مغمى اغمي*
        kaymout kaymot kaymut kaymoot ymout ymoot bymoot bymout bimoot hymoot katmout tmout
        يموت بيموت كيموت كايموت تموت بتموت كتموت
    """.split()),
    "gbv": tuple("""
        rape* beat beaten beats abuse* assault* viol violee violees frappe* battu battue
        violac* violad* golpe* pega pegan ghtasb* ightisab* kaydrb* kayderb* yedrab* drbni
        drabni ydrabni bydrab* biydrab* اغتصب* اغتصاب* يضرب* ضربني ضربوني تعنيف عنف
    """.split()),
    "trafficking": tuple("""
        trafficked locked kidnap* smuggler* forced forcee forzad* enferme* sequestr* encerrad*
        secuestr* traficante* passeur* 7bsni habsni محبوس* حبسوني حبسني خطف* مخطوف*
    """.split()),
    "mental_health": tuple("""
        suicid* ntne7er nt7er انتحر* انتحار*
    """.split()),
    # Dying or wishing to die: first the person's own life, then an emergency.
    "mental_health emergency": tuple("""
        die mourir meurs morir muero nmout nmot اموت نموت
    """.split()),
}
# Words of danger that point to no one topic: a threat to kill, a body, a blow.
UNSORTED_DANGER: tuple[str, ...] = tuple("""
    kill killed dead hit hits hitting tuer matar nqtel اقتل يقتل
""".split())
RISK_WORDS: tuple[str, ...] = (*(w for words in DANGER_TOPICS.values() for w in words),
                               *UNSORTED_DANGER)


# Words and phrases of danger in the languages added later (Oromo, Amharic, Tigrinya, Somali,
# Hausa), one a line in `bot/risk_words/<language>.txt`, written with the training data of each
# language; a line of several words matches those words in a row, and a word ending in "*" is a
# word beginning, as above; they point to no one topic.
RISK_WORDS_DIR = Path(__file__).resolve().parent.parent / "risk_words"


def _listed(folder: Path) -> tuple[list[tuple[str, ...]], list[str]]:
    """Return the folded words of each line of `folder/*.txt` (comments and blanks skipped),
    and the word beginnings (one word ending in "*")."""
    found, beginnings = [], []
    for path in sorted(folder.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#")[0].strip()
            words = tuple(tokens(line))
            if len(words) == 1 and line.endswith("*"):
                beginnings.append(words[0])
            elif words:
                found.append(words)
    return found, beginnings


_LISTED, _BEGINNINGS = _listed(RISK_WORDS_DIR)
# Each word's folded form (a beginning without its "*") and the topics it points to.
_TOPICS_OF: dict[str, tuple[str, ...]] = {
    **{fold(w.rstrip("*")): () for w in UNSORTED_DANGER},
    **{fold(w.rstrip("*")): tuple(topics.split())
       for topics, words in DANGER_TOPICS.items() for w in words},
}
_RISK_EXACT = frozenset([*(fold(w) for w in RISK_WORDS if not w.endswith("*")),
                         *(words[0] for words in _LISTED if len(words) == 1)])
_RISK_PREFIXES = (*(fold(w[:-1]) for w in RISK_WORDS if w.endswith("*")), *_BEGINNINGS)
_RISK_PHRASES = frozenset(words for words in _LISTED if len(words) > 1)
_PHRASE_LENGTHS = sorted({len(words) for words in _RISK_PHRASES})


def danger_words(text: str) -> list[str]:
    """Return the words of danger `text` holds, as listed (folded; a word beginning without
    its "*"; a listed phrase's words joined by spaces), each once, in the order they come."""
    words = tokens(text)
    found: list[str] = []
    for word in words:
        for form in arabic_variants(word):
            if form in _RISK_EXACT:
                match = form
            elif form.startswith(_RISK_PREFIXES):  # one C call for most words, which match none
                match = next(p for p in _RISK_PREFIXES if form.startswith(p))
            else:
                continue
            if match not in found:
                found.append(match)
            break
    for n in _PHRASE_LENGTHS:
        for i in range(len(words) - n + 1):
            phrase = tuple(words[i:i + n])
            if phrase in _RISK_PHRASES and " ".join(phrase) not in found:
                found.append(" ".join(phrase))
    return found


def has_risk_word(text: str) -> bool:
    """Return True when a word of `text` is, or begins with, one of `RISK_WORDS` or a listed
    word, or when its words hold one of the listed phrases."""
    return bool(danger_words(text))


def danger_topics(words: list[str]) -> list[str]:
    """Return the protection topics the words of danger (from `danger_words`) point to, the
    first word's first; a word of the later languages' lists points to none."""
    found: list[str] = []
    for word in words:
        found += [t for t in _TOPICS_OF.get(word, ()) if t not in found]
    return found


def explained_words(texts: Sequence[str], intents: Sequence[str],
                    least: int = 2) -> dict[str, frozenset[str]]:
    """Return, for each word of danger in `texts`, the intents of which at least `least`
    examples hold it: "emergency contraception" is a contraception question, so "emergency"
    in a message taken for contraception raises no doubt (`bot.nlu.components`)."""
    counts: dict[str, Counter[str]] = {}
    for text, intent in zip(texts, intents, strict=True):
        for word in danger_words(text):
            counts.setdefault(word, Counter())[intent] += 1
    return {word: frozenset(i for i, n in seen.items() if n >= least)
            for word, seen in counts.items()}
