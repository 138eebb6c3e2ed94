"""NLU quality on held-out messages the model never trains on, with floors.

The floors sit a little under what the shipped model measures (bench/nlu_quality.py prints the
figures), so the suite fails when training data or the pipeline make understanding worse.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.classify import load_agent
from bot.evaluation import LanguageScores, load_examples, parse_all, score

INTENT_F1_FLOOR = {"en": 0.85, "fr": 0.85, "ar": 0.80, "es": 0.85}
LANGUAGE_ACCURACY_FLOOR = 0.95
SHORT_LANGUAGE_ACCURACY_FLOOR = 0.90


@pytest.fixture(scope="module")
def scores(model: Path) -> dict[str, LanguageScores]:
    examples = load_examples()
    parsed = parse_all(load_agent(model), [e.text for e in examples])
    return {s.language: s for s in score(examples, parsed)}


def test_the_heldout_set_is_never_trained_on() -> None:
    from bot.paths import NLU_DATA_DIR

    training = set()
    for path in NLU_DATA_DIR.rglob("*.yml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("- "):
                training.add(line.strip()[2:].strip().lower())
    overlap = [e.text for e in load_examples() if e.text.lower() in training]
    assert len(overlap) <= 5, overlap  # a handful of two-word messages may coincide


@pytest.mark.parametrize("language", ["en", "fr", "ar", "es"])
def test_intent_macro_f1_per_language(scores: dict[str, LanguageScores], language: str) -> None:
    assert scores[language].intent_macro_f1 >= INTENT_F1_FLOOR[language]


@pytest.mark.parametrize("language", ["en", "fr", "ar", "es"])
def test_language_accuracy(scores: dict[str, LanguageScores], language: str) -> None:
    assert scores[language].language_accuracy >= LANGUAGE_ACCURACY_FLOOR
    assert scores[language].short_language_accuracy >= SHORT_LANGUAGE_ACCURACY_FLOOR
