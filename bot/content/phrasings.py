"""Example phrasings staff add for what the assistant did not understand, without Python.

The dashboard's "Unanswered questions" page shows which topics fall back most often per
language and country (counts only: no message text is ever stored). Staff who know how people
ask write example phrasings in `content/phrasings/<language>.yml`::

    language: fr
    phrasings:
      gbv:
      - mon mari me tape tous les soirs
      health_cost:
      - c'est combien la consultation au dispensaire

`migrant-bot train` (and `make run` / `make test`, which retrain when a phrasing file changes)
adds them to the NLU training data as a generated Rasa file (`training_yaml`). They are
examples people might write, never a real person's message: `content check` refuses one that
holds a phone number, an e-mail address or a long run of digits, an unknown intent or language,
one already in the training data, and empty or over-long ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.content.model import TOPIC_INTENTS, ContentError

# The intents a phrasing may teach: every intent the NLU predicts from text (domain.yml less
# `unsupported_media`, which only the channels send). A test keeps the two lists equal.
CONVERSATION_INTENTS: tuple[str, ...] = (
    "greet", "goodbye", "thank", "affirm", "deny", "help", "bot_challenge", "choose_language",
    "choose_country",
)
PHRASING_INTENTS: tuple[str, ...] = (*CONVERSATION_INTENTS, *TOPIC_INTENTS)
MAX_LENGTH = 300
_IDENTIFIER = re.compile(r"\S+@\S+\.\w+|\+?\d[\d .-]{6,}\d")


@dataclass(frozen=True)
class Phrasings:
    """The phrasings of one language file."""

    language: str
    by_intent: dict[str, tuple[str, ...]] = field(default_factory=dict)
    path: Path | None = None


def load_phrasings(root: Path | str) -> list[Phrasings]:
    """Read every `root/phrasings/*.yml`; raise ContentError on a file of the wrong shape."""
    folder = Path(root) / "phrasings"
    found = []
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else ():
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise ContentError(f"{path}: not valid YAML ({error})") from error
        if not isinstance(raw, dict) or not raw.get("language"):
            raise ContentError(f"{path}: expected 'language' and 'phrasings'")
        by_intent = raw.get("phrasings") or {}
        if not isinstance(by_intent, dict) or not all(
                isinstance(v, list) for v in by_intent.values()):
            raise ContentError(f"{path}: phrasings must map each intent to a list of texts")
        found.append(Phrasings(
            language=str(raw["language"]).strip(),
            by_intent={str(intent): tuple(str(t).strip() for t in texts if t is not None)
                       for intent, texts in by_intent.items()},
            path=path,
        ))
    return found


def phrasing_problems(files: list[Phrasings], languages: tuple[str, ...],
                      trained: set[str]) -> list[tuple[str, str]]:
    """Return (where, problem) for each phrasing that must not be trained on.

    `trained` holds the normalised texts already in the training data (`normalise`).
    """
    problems: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for phrasings in files:
        name = f"phrasings/{phrasings.path.name if phrasings.path else phrasings.language}"
        if phrasings.language not in languages:
            problems.append((name, f"unknown language {phrasings.language!r} (one of "
                                   f"{', '.join(languages)})"))
        for intent, texts in phrasings.by_intent.items():
            where = f"{name}: {intent}"
            if intent not in PHRASING_INTENTS:
                problems.append((where, f"unknown intent {intent!r} (see shared/docs/"
                                        "intents.md)"))
            for text in texts:
                key = normalise(text)
                if not key:
                    problems.append((where, "an empty phrasing"))
                elif len(text) > MAX_LENGTH:
                    problems.append((where, f"a phrasing of {len(text)} characters (at most "
                                            f"{MAX_LENGTH})"))
                elif _IDENTIFIER.search(text):
                    problems.append((where, "a phrasing with a phone number, e-mail address "
                                            "or long number: write an example, never a real "
                                            "message"))
                elif key in trained:
                    problems.append((where, f"{text!r} is already in the training data"))
                elif key in seen:
                    problems.append((where, f"{text!r} is also listed under {seen[key]}"))
                seen.setdefault(key, where)
    return problems


def normalise(text: str) -> str:
    """Return `text` lower-cased with its spaces collapsed, to compare phrasings."""
    return " ".join(text.lower().split())


def training_yaml(files: list[Phrasings]) -> str:
    """Return the phrasings as a Rasa NLU training file (one block per intent)."""
    merged: dict[str, list[str]] = {}
    for phrasings in files:
        for intent, texts in phrasings.by_intent.items():
            merged.setdefault(intent, []).extend(t for t in texts if t)
    blocks = [{"intent": intent, "examples": "".join(f"- {t}\n" for t in texts)}
              for intent, texts in merged.items() if texts]
    header = "# Generated by `migrant-bot train` from content/phrasings/: edit those instead.\n"
    return header + yaml.safe_dump({"version": "3.1", "nlu": blocks}, allow_unicode=True,
                                   sort_keys=False, width=1000)
