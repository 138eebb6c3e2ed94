"""NLU quality on held-out messages the model never trains on, with floors.

The floors sit a little under what the shipped model measures (bench/nlu_quality.py prints the
figures), so the suite fails when training data or the pipeline make understanding worse.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.classify import load_agent
from bot.evaluation import LanguageScores, load_examples, parse_all, score

INTENT_F1_FLOOR = {"en": 0.91, "fr": 0.90, "ar": 0.83, "es": 0.91}
LANGUAGE_ACCURACY_FLOOR = 0.95
SHORT_LANGUAGE_ACCURACY_FLOOR = 0.95


@pytest.fixture(scope="module")
def scores(model: Path) -> dict[str, LanguageScores]:
    examples = load_examples()
    parsed = parse_all(load_agent(model), [e.text for e in examples])
    return {s.language: s for s in score(examples, parsed)}


def test_scored_messages_are_never_in_the_training_data() -> None:
    from bot.evaluation import training_keys
    from bot.text import tokens

    examples = load_examples()
    seen = training_keys()
    assert all(" ".join(tokens(e.text)) not in seen for e in examples)
    assert len(examples) >= 800  # most of the 1,016 held-out messages remain


@pytest.mark.parametrize("language", ["en", "fr", "ar", "es"])
def test_intent_macro_f1_per_language(scores: dict[str, LanguageScores], language: str) -> None:
    assert scores[language].intent_macro_f1 >= INTENT_F1_FLOOR[language]


@pytest.mark.parametrize("language", ["en", "fr", "ar", "es"])
def test_language_accuracy(scores: dict[str, LanguageScores], language: str) -> None:
    assert scores[language].language_accuracy >= LANGUAGE_ACCURACY_FLOOR
    assert scores[language].short_language_accuracy >= SHORT_LANGUAGE_ACCURACY_FLOOR
