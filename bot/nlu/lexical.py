"""A second opinion on the intent: a linear model over word and character n-grams, blended
with DIET's ranking.

DIET and a multinomial logistic regression over the same folded n-grams err differently. DIET
(one small transformer layer) is sharp on phrasings like its examples and sometimes sure of a
wrong topic for a phrasing it never saw; the linear model weighs every n-gram it has seen for
each intent and is never very sure. Their product of experts, DIET's confidences to the power
`diet_weight` times the linear model's to the power 1 - `diet_weight`, raised to `sharpness`
and renormalised, stands where both lean the same way and is unsure where they disagree, which
sends the disagreement to the fallback and the domain gate's "Did you mean ...?" instead of a
wrong answer.

Both settings were chosen on training data only: FAQ collections left out of training
(`bench/collection_holdout.py --blends`) and chat sources left out of the gate
(`bench/gate_sources.py --blends`); the README ("A second opinion beside DIET") gives the
figures.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.text import fold

# DIET ranks only its ten likeliest intents; the others get this much of its belief, so that
# the linear model alone cannot raise an intent DIET did not rank at all far above one it did.
UNRANKED = 1e-4
MAX_ITERATIONS = 100


def prepare(text: str) -> str:
    """Fold the text as the tokenizer does, digits of Arabizi kept."""
    return " ".join(fold(text).split())


def ngram_vectorizers(word_ngrams: int = 1) -> tuple[TfidfVectorizer, TfidfVectorizer]:
    """Return unfitted word and character (2-4, within words) TF-IDF vectorizers."""
    words = TfidfVectorizer(analyzer="word", token_pattern=r"[^\s]+", min_df=1,
                            ngram_range=(1, word_ngrams), sublinear_tf=True,
                            preprocessor=prepare)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2,
                            sublinear_tf=True, max_features=60000, preprocessor=prepare)
    return words, chars


def ngram_features(words: TfidfVectorizer, chars: TfidfVectorizer, texts: Sequence[str],
                   fit: bool = False) -> csr_matrix:
    """Return the word and character n-gram features of `texts` side by side (fitting the
    vectorizers on them first when `fit`)."""
    if fit:
        return csr_matrix(hstack([words.fit_transform(texts), chars.fit_transform(texts)]))
    return csr_matrix(hstack([words.transform(texts), chars.transform(texts)]))


class LexicalIntentModel:
    """P(intent | n-grams) from a multinomial logistic regression."""

    def __init__(self, c: float = 4.0, seed: int = 42) -> None:
        self.c = c
        self.seed = seed
        self._words, self._chars = ngram_vectorizers(word_ngrams=2)
        self.intents: list[str] = []
        self._weights = np.zeros((0, 0), dtype=np.float32)
        self._bias = np.zeros(0, dtype=np.float32)

    def fit(self, texts: Sequence[str], intents: Sequence[str]) -> LexicalIntentModel:
        """Learn the intents of the (text, intent) pairs."""
        if len(set(intents)) < 2:
            raise ValueError("the lexical intent model needs at least two intents")
        features = ngram_features(self._words, self._chars, texts, fit=True)
        # lbfgs takes ~180 iterations to converge on the ~21,000 examples; after 100 the left-out
        # FAQ collections score the same (mean macro-F1 0.779 / 0.798 against 0.777 / 0.797, 75
        # iterations: 0.775 / 0.796) in 40 s instead of 72, so training stops there.
        model = LogisticRegression(C=self.c, max_iter=MAX_ITERATIONS, random_state=self.seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(features, list(intents))
        # Only the weights are kept, one row per n-gram, in float32: a message's few n-grams
        # pick their rows, where sklearn's predict_proba copies all of them to float64 on every
        # call (10 ms a message; this takes well under one).
        self._weights = np.ascontiguousarray(model.coef_.T, dtype=np.float32)
        self._bias = model.intercept_.astype(np.float32)
        self.intents = [str(i) for i in model.classes_]
        return self

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Return one row of intent probabilities (columns in `intents` order) per text."""
        features = ngram_features(self._words, self._chars, texts).astype(np.float32)
        # The multinomial model's probabilities: a softmax over the intents' scores.
        scores = features @ self._weights + self._bias
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        return scores / scores.sum(axis=1, keepdims=True)


def blend(diet: Mapping[str, float], lexical: Mapping[str, float],
          diet_weight: float, sharpness: float = 1.0) -> list[tuple[str, float]]:
    """Return the intents by their blended confidence, likeliest first.

    `diet` is DIET's ranking ({intent: confidence}, its ten likeliest), `lexical` the linear
    model's probabilities; an intent only one of them knows gets `UNRANKED` from the other.
    `sharpness` raises the product to a power: the order stays, the confidences spread apart
    (the linear model's are far softer than DIET's, which the fallback's and the gate's
    thresholds were set for).
    """
    names = sorted(set(diet) | set(lexical))
    d = np.array([max(float(diet.get(n, 0.0)), UNRANKED) for n in names])
    x = np.array([max(float(lexical.get(n, 0.0)), UNRANKED) for n in names])
    # In logs, so that a confidence near 1 in both does not underflow.
    log = sharpness * (diet_weight * np.log(d) + (1 - diet_weight) * np.log(x))
    weights = np.exp(log - log.max())
    weights /= weights.sum()
    order = np.argsort(-weights, kind="stable")
    return [(names[i], float(weights[i])) for i in order]
