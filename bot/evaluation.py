"""Measure NLU quality on the held-out messages the model never trains on.

The held-out sets (`tests/data/heldout/<lang>.yml`, Rasa NLU format) were written apart from
the training data, by other writers who did not see it. Per language this reports intent
macro-F1 (a fallback counts as a miss), the same without the fallback threshold, and language
accuracy on all messages and on those of one to three words.

A held-out message that also appears in the training data (same words once folded: common
phrases like "thanks a lot" that both sets of writers wrote) is left out of the scores, so
every scored message is one the model has never seen.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.nlu.examples import read_examples
from bot.paths import NLU_DATA_DIR, REPO_ROOT
from bot.settings import SUPPORTED_LANGUAGES
from bot.text import neutralize_command_prefix, tokens

HELDOUT_DIR = REPO_ROOT / "tests" / "data" / "heldout"
LANGUAGES = SUPPORTED_LANGUAGES


@dataclass(frozen=True)
class Example:
    """One held-out message with its expected intent and language."""

    text: str
    intent: str
    language: str


@dataclass(frozen=True)
class LanguageScores:
    """Quality figures for one language."""

    language: str
    examples: int
    intent_macro_f1: float
    intent_macro_f1_no_threshold: float
    fallback_rate: float
    language_accuracy: float
    short_examples: int
    short_language_accuracy: float


def training_keys(root: Path = NLU_DATA_DIR) -> set[str]:
    """Return the folded text of every training example."""
    return {" ".join(tokens(text)) for path in root.rglob("*.yml")
            for text, _ in read_examples(path)}


def load_examples(directory: Path = HELDOUT_DIR, exclude_training: bool = True) -> list[Example]:
    """Read the held-out examples (minus those also in training); file name = language."""
    seen = training_keys() if exclude_training else set()
    examples = []
    for language in LANGUAGES:
        for text, intent in read_examples(directory / f"{language}.yml"):
            if " ".join(tokens(text)) not in seen:
                examples.append(Example(text, intent, language))
    return examples


def macro_f1(expected: list[str], predicted: list[str]) -> float:
    """Return the macro-averaged F1 over the expected labels."""
    labels = sorted(set(expected))
    scores = []
    for label in labels:
        tp = sum(1 for e, p in zip(expected, predicted, strict=True) if e == label and p == label)
        fp = sum(1 for e, p in zip(expected, predicted, strict=True) if e != label and p == label)
        fn = sum(1 for e, p in zip(expected, predicted, strict=True) if e == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def parse_all(agent: Any, texts: list[str]) -> list[dict[str, Any]]:
    """Parse every text with a loaded Rasa agent."""
    async def run() -> list[dict[str, Any]]:
        return [await agent.parse_message(neutralize_command_prefix(t)) for t in texts]

    return asyncio.run(run())


def top_intent(parsed: dict[str, Any]) -> str | None:
    """Return the best intent other than the fallback (what the model leaned to)."""
    for ranked in parsed.get("intent_ranking") or []:
        if ranked.get("name") != "nlu_fallback":
            return ranked.get("name")
    return (parsed.get("intent") or {}).get("name")


def score(examples: list[Example], parsed: list[dict[str, Any]]) -> list[LanguageScores]:
    """Return the figures per language."""
    by_language: dict[str, list[tuple[Example, dict[str, Any]]]] = defaultdict(list)
    for example, result in zip(examples, parsed, strict=True):
        by_language[example.language].append((example, result))
    scores = []
    for language, pairs in by_language.items():
        expected = [e.intent for e, _ in pairs]
        final = [(p.get("intent") or {}).get("name") for _, p in pairs]
        short = [(e, p) for e, p in pairs if len(e.text.split()) <= 3]
        scores.append(
            LanguageScores(
                language=language,
                examples=len(pairs),
                intent_macro_f1=macro_f1(expected, final),
                intent_macro_f1_no_threshold=macro_f1(expected, [top_intent(p) for _, p in pairs]),
                fallback_rate=sum(1 for f in final if f == "nlu_fallback") / len(pairs),
                language_accuracy=sum(1 for e, p in pairs if p.get("language") == language)
                / len(pairs),
                short_examples=len(short),
                short_language_accuracy=(
                    sum(1 for e, p in short if p.get("language") == language) / len(short)
                    if short else 0.0
                ),
            )
        )
    return scores
