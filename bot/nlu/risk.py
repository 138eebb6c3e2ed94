"""Words of danger: a message holding one is never taken for small talk.

Pure: imported by the NLU's domain gate and by the fallback action alike.
"""

from __future__ import annotations

from pathlib import Path

from bot.text import arabic_variants, fold, tokens

# Words and phrases of danger in the languages added later (Oromo, Amharic, Tigrinya, Somali,
# Hausa), one a line in `bot/risk_words/<language>.txt`, written with the training data of each
# language; a line of several words matches those words in a row, and a word ending in "*" is a
# word beginning, as above.
RISK_WORDS_DIR = Path(__file__).resolve().parent.parent / "risk_words"

# Words that mark danger in the four languages, Darija and Egyptian included; one ending in "*"
# is a word beginning. A message holding one is never answered as off topic, whatever its
# score: at worst it is asked about. Kept short and specific, since each one turns small talk
# that holds it into a question. Folded like the messages (no accents, diacritics or hamza);
# Arabic words are also tried without their attached prefixes ("للإسعاف" is "اسعاف").
RISK_WORDS: tuple[str, ...] = tuple("""
    sos emergency ambulance urgence urgences urgent urgente emergencia ambulancia طوارئ اسعاف*
    suicid* kill killed die dying dead rape* beat beaten beats hit hits hitting abuse*
    assault* forced trafficked locked bleed* unconscious overdose kidnap* smuggler*
    mourir meurs tuer viol violee violees frappe* battu battue forcee enferme* sequestr*
    saigne* inconscient* enleve* passeur*
    morir muero matar violac* violad* golpe* pega pegan forzad* encerrad* sangr*
    inconscient* secuestr* traficante*
    nmout nmot nqtel ntne7er nt7er ghtasb* ightisab* kaydrb* kayderb* yedrab* drbni drabni
    ydrabni 7bsni habsni
    انتحر* انتحار* اموت نموت اقتل يقتل اغتصب* اغتصاب* يضرب* ضربني ضربوني تعنيف عنف
    محبوس* حبسوني حبسني خطف* مخطوف* نزيف ينزف مغمى اغمي*
""".split())


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
_RISK_EXACT = frozenset([*(fold(w) for w in RISK_WORDS if not w.endswith("*")),
                         *(words[0] for words in _LISTED if len(words) == 1)])
_RISK_PREFIXES = (*(fold(w[:-1]) for w in RISK_WORDS if w.endswith("*")), *_BEGINNINGS)
_RISK_PHRASES = frozenset(words for words in _LISTED if len(words) > 1)
_PHRASE_LENGTHS = sorted({len(words) for words in _RISK_PHRASES})


def has_risk_word(text: str) -> bool:
    """Return True when a word of `text` is, or begins with, one of `RISK_WORDS`, or when
    its words hold one of the listed phrases."""
    words = tokens(text)
    if any(form in _RISK_EXACT or form.startswith(_RISK_PREFIXES)
           for word in words for form in arabic_variants(word)):
        return True
    return any(tuple(words[i:i + n]) in _RISK_PHRASES
               for n in _PHRASE_LENGTHS for i in range(len(words) - n + 1))
