"""Is a message about health or protection at all? An out-of-domain score beside DIET's intents.

DIET has to pick one of the intents it knows and, on everyday chat it has never seen ("ma maison
est petite", "khssni nmchi daba", "the plane is in the sky"), it often picks a topic with a high
confidence: a softmax over topics is no measure of being off topic. `DomainModel` asks the other
question with other evidence: a logistic regression over the message's word and character
n-grams (folded like the rest of the pipeline), trained on every topic example as "in the domain"
against the `out_of_scope` examples and real everyday chat in the four languages and both Arabic
scripts (`bot/offtopic/`). DIET is not trained on that chat: hundreds of plain questions and
statements of trivia and small talk teach it that any plainly worded question ("What is gender-
based violence?") is off topic, and its held-out scores fell by up to four points when it was;
the gate, which answers only "is this the domain at all?", learns from it without that cost.

Its thresholds are set at training time from the training data alone, never from a held-out or
evaluation set: five-fold cross-validation gives each topic example a score from a model that did
not see it, and the threshold is the score below which only `reject_share` of them fall. The
protection intents (violence, trafficking, a child alone, an emergency) get a lower threshold for
a plain rejection, and between it and the general one the message is not rejected but asked
about: a missed protection message costs more than one extra question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from bot.nlu.risk import has_risk_word
from bot.text import fold

# Intents that are never a topic: the gate leaves them alone.
CONVERSATION_INTENTS: frozenset[str] = frozenset({
    "greet", "goodbye", "thank", "affirm", "deny", "help", "bot_challenge", "choose_language",
    "choose_country", "nlu_fallback", "unsupported_media",
})
OUT_OF_SCOPE = "out_of_scope"
PROTECTION_INTENTS: frozenset[str] = frozenset({
    "gbv", "trafficking", "child_protection", "emergency", "mental_health",
})

@dataclass(frozen=True)
class Verdict:
    """What the gate says of one message whose likeliest intent is `intent`."""

    score: float  # P(in the domain)
    action: str  # "keep", "ask" or "reject"


# A language's own thresholds need this many topic examples (about 1,000 in each language).
MIN_LANGUAGE_TOPICS = 300


class DomainModel:
    """In-domain probability of a message, and the thresholds to act on it."""

    def __init__(self, ask_share: float = 0.03, reject_share: float = 0.01,
                 protection_reject_share: float = 0.002, seed: int = 42) -> None:
        self.ask_share = ask_share
        self.reject_share = reject_share
        self.protection_reject_share = protection_reject_share
        self.seed = seed
        self._words = TfidfVectorizer(analyzer="word", token_pattern=r"[^\s]+", min_df=1,
                                      sublinear_tf=True, preprocessor=_prepare)
        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2,
                                      sublinear_tf=True, max_features=60000,
                                      preprocessor=_prepare)
        self._model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000,
                                         random_state=seed)
        self.threshold = 0.5
        self.reject_threshold = 0.5
        self.protection_threshold = 0.5
        # Per language: (threshold, reject_threshold), from that language's own examples.
        self.language_thresholds: dict[str, tuple[float, float]] = {}

    def fit(self, texts: Sequence[str], intents: Sequence[str],
            languages: Sequence[str | None] | None = None) -> DomainModel:
        """Learn from (text, intent) pairs: topics are the domain, `out_of_scope` is not.

        With `languages` (each text's language, as the language detector reads it), the ask
        and reject thresholds are also set per language from that language's cross-validated
        topic scores, where it has at least `MIN_LANGUAGE_TOPICS` topic examples: the scores of
        a language with less data, or fewer words shared with the chat, sit lower, and one
        threshold for all would ask about far more of its real questions than of the others'.
        The protection threshold stays one for all (the lowest).
        """
        rows = [(t, i, lang) for t, i, lang in zip(
            texts, intents, languages if languages is not None else [None] * len(texts),
            strict=True) if i not in CONVERSATION_INTENTS]
        pairs = [(t, i) for t, i, _ in rows]
        x_text = [t for t, _ in pairs]
        y = np.array([int(i != OUT_OF_SCOPE) for _, i in pairs])
        kinds = [i for _, i in pairs]
        if len(set(y)) < 2:
            raise ValueError("the domain gate needs topic and out_of_scope examples")
        out_of_fold = np.zeros(len(y))
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=self.seed)
        for train, test in folds.split(x_text, y):
            fold_model = DomainModel(seed=self.seed)
            fold_model._fit([x_text[i] for i in train], y[train])
            out_of_fold[test] = fold_model.scores([x_text[i] for i in test])
        topic_scores = out_of_fold[y == 1]
        protection_scores = np.array([s for s, k in zip(out_of_fold, kinds, strict=True)
                                      if k in PROTECTION_INTENTS])
        self.threshold = float(np.quantile(topic_scores, self.ask_share))
        self.reject_threshold = min(self.threshold,
                                    float(np.quantile(topic_scores, self.reject_share)))
        self.protection_threshold = min(self.reject_threshold, float(np.quantile(
            protection_scores if len(protection_scores) else topic_scores,
            self.protection_reject_share)))
        self.language_thresholds = {}
        codes = np.array([lang or "" for _, _, lang in rows])
        for code in sorted(set(codes) - {""}):
            mine = out_of_fold[(y == 1) & (codes == code)]
            if len(mine) >= MIN_LANGUAGE_TOPICS:
                ask = float(np.quantile(mine, self.ask_share))
                self.language_thresholds[code] = (
                    ask, min(ask, float(np.quantile(mine, self.reject_share))))
        self._fit(x_text, y)
        return self

    def _fit(self, texts: Sequence[str], y: np.ndarray) -> None:
        features = hstack([self._words.fit_transform(texts), self._chars.fit_transform(texts)])
        self._model.fit(features, y)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Return P(in the domain) for each text."""
        features = hstack([self._words.transform(texts), self._chars.transform(texts)])
        return self._model.predict_proba(features)[:, 1]

    def verdict(self, text: str, intent: str, language: str | None = None) -> Verdict:
        """Keep, ask about or reject a message in `language` whose likeliest intent is
        `intent`."""
        score = float(self.scores([text])[0])
        threshold, reject = getattr(self, "language_thresholds", {}).get(
            language or "", (self.threshold, self.reject_threshold))
        if intent in CONVERSATION_INTENTS or intent == OUT_OF_SCOPE or score >= threshold:
            return Verdict(score, "keep")
        if has_risk_word(text):
            return Verdict(score, "ask")
        floor = (min(self.protection_threshold, reject) if intent in PROTECTION_INTENTS
                 else reject)
        return Verdict(score, "ask" if score >= floor else "reject")


def _prepare(text: str) -> str:
    """Fold the text as the tokenizer does, digits of Arabizi kept."""
    return " ".join(fold(text).split())
