"""Words of danger: a message holding one is never taken for small talk.

Pure: imported by the NLU's domain gate and by the fallback action alike.
"""

from __future__ import annotations

from bot.text import arabic_variants, fold, tokens

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
_RISK_EXACT = frozenset(fold(w) for w in RISK_WORDS if not w.endswith("*"))
_RISK_PREFIXES = tuple(fold(w[:-1]) for w in RISK_WORDS if w.endswith("*"))


def has_risk_word(text: str) -> bool:
    """Return True when a word of `text` is, or begins with, one of `RISK_WORDS`."""
    return any(form in _RISK_EXACT or form.startswith(_RISK_PREFIXES)
               for word in tokens(text) for form in arabic_variants(word))
