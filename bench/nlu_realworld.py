"""Print NLU quality on real-world messages beside the same figures on the held-out set.

The real-world sets (`tests/data/realworld/*.jsonl`, see its README) hold messages people wrote
for other purposes: help-page and FAQ headings labelled against docs/intents.md, Arabic dialect
chat in Arabic script, Arabizi chat (Darija, Egyptian, Levantine) and everyday chat in English,
French and Spanish. None of them is trained on; a line whose folded text is also in the training
data is left out and counted.

Per source kind and language this prints:

* intent macro-F1 over the labelled intents present (a fallback counts as a miss), and the
  messages answered with the right intent: on a few dozen help-page questions, where some
  intents have one or two, one answer moves the macro-F1 by up to 0.2 and the count by one;
* protection recall for gbv, trafficking, child_protection and emergency, each on its own: a
  message counts as recalled when the assistant answers it as that topic, or asks "Did you
  mean ...?" with it among the numbered choices (as `ActionHandleFallback` would, emergency
  override included);
* the off-topic false-topic rate: the share of out_of_scope messages whose predicted intent is a
  topic (anything but out_of_scope, nlu_fallback and the conversation intents);
* language accuracy (Arabizi and dialects count as `ar`).

Usage: .venv/bin/python bench/nlu_realworld.py [models/current.tar.gz] [--errors]
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.actions.fallback import (
    EMERGENCY_OVERRIDE_CONFIDENCE,
    MAX_SUGGESTIONS,
    MIN_SUGGESTION_CONFIDENCE,
)
from bot.classify import load_agent
from bot.content import TOPIC_INTENTS
from bot.evaluation import load_examples, macro_f1, parse_all, training_keys
from bot.nlu.risk import has_risk_word
from bot.paths import REPO_ROOT
from bot.text import tokens

REALWORLD_DIR = REPO_ROOT / "tests" / "data" / "realworld"
KINDS = ("helppage", "dialect_chat", "arabizi", "offtopic")
PROTECTION = ("gbv", "trafficking", "child_protection", "emergency")
# Predictions that do not send a message down a health or protection topic.
NOT_A_TOPIC = frozenset(
    {
        "out_of_scope",
        "nlu_fallback",
        "greet",
        "goodbye",
        "thank",
        "affirm",
        "deny",
        "help",
        "bot_challenge",
        "choose_language",
        "choose_country",
    }
)


@dataclass(frozen=True)
class Message:
    """One message to score: text, expected intent and language, and where it came from."""

    text: str
    intent: str
    language: str
    kind: str
    source: str = ""


@dataclass(frozen=True)
class GroupScores:
    """Quality figures for one group of messages (a source kind and a language)."""

    kind: str
    language: str
    examples: int
    intent_macro_f1: float
    #: Messages whose predicted intent is the expected one (a fallback counts as a miss).
    correct: int
    protection_recall: dict[str, tuple[int, int]]
    out_of_scope: int
    false_topic: int
    language_accuracy: float


def fold(text: str) -> str:
    """Return the text as the training-data check sees it."""
    return " ".join(tokens(text))


def load_realworld(
    directory: Path = REALWORLD_DIR, seen: set[str] | None = None
) -> tuple[list[Message], int]:
    """Read every JSONL set; return the messages not in the training data and how many were."""
    seen = training_keys() if seen is None else seen
    messages, skipped = [], 0
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            if fold(record["text"]) in seen:
                skipped += 1
                continue
            messages.append(
                Message(record["text"], record["intent"], record["language"], record["kind"],
                        record.get("source", ""))
            )
    return messages, skipped


def load_heldout() -> list[Message]:
    """Read the project's own held-out set (already without training-data duplicates)."""
    return [Message(e.text, e.intent, e.language, "heldout") for e in load_examples()]


def predicted_intent(parsed: dict[str, Any]) -> str:
    """Return the intent the assistant acts on (the fallback included)."""
    return str((parsed.get("intent") or {}).get("name") or "nlu_fallback")


def reached(parsed: dict[str, Any]) -> set[str]:
    """Return the topics the person is given: the answer's, or the numbered choices offered.

    Mirrors `ActionHandleFallback` on a first misunderstanding: the likeliest topics of the
    ranking as choices, or the emergency answer at once when it leads and the domain gate did
    not ask about it.
    """
    intent = predicted_intent(parsed)
    if intent != "nlu_fallback":
        return {intent}
    likely = [str(r.get("name")) for r in parsed.get("intent_ranking") or []
              if r.get("name") in TOPIC_INTENTS and r.get("name") != "out_of_scope"
              and float(r.get("confidence") or 0) >= MIN_SUGGESTION_CONFIDENCE]
    likely = likely[:MAX_SUGGESTIONS]
    asked = ((parsed.get("domain") or {}).get("verdict") == "ask"
             and not has_risk_word(str(parsed.get("text") or "")))
    emergency = next((float(r.get("confidence") or 0) for r in parsed.get("intent_ranking") or []
                      if r.get("name") == "emergency"), 0.0)
    if likely and likely[0] == "emergency" and not asked and (
            emergency >= EMERGENCY_OVERRIDE_CONFIDENCE):
        return {"emergency"}
    return set(likely)


def score_group(kind: str, language: str,
                pairs: Sequence[tuple[Message, str, str, set[str]]]) -> GroupScores:
    """Return the figures for (message, predicted intent, language, topics reached) tuples."""
    expected = [m.intent for m, _, _, _ in pairs]
    predicted = [p for _, p, _, _ in pairs]
    recall = {}
    for intent in PROTECTION:
        wanted = [r for m, _, _, r in pairs if m.intent == intent]
        recall[intent] = (sum(1 for r in wanted if intent in r), len(wanted))
    off_topic = [p for m, p, _, _ in pairs if m.intent == "out_of_scope"]
    return GroupScores(
        kind=kind,
        language=language,
        examples=len(pairs),
        intent_macro_f1=macro_f1(expected, predicted),
        correct=sum(1 for e, p in zip(expected, predicted, strict=True) if e == p),
        protection_recall=recall,
        out_of_scope=len(off_topic),
        false_topic=sum(1 for p in off_topic if p not in NOT_A_TOPIC),
        language_accuracy=sum(1 for m, _, lang, _ in pairs if lang == m.language) / len(pairs),
    )


def score(messages: Sequence[Message], parsed: Sequence[dict[str, Any]]) -> list[GroupScores]:
    """Group by source kind and language and score each group."""
    groups: dict[tuple[str, str], list[tuple[Message, str, str, set[str]]]] = defaultdict(list)
    for message, result in zip(messages, parsed, strict=True):
        groups[(message.kind, message.language)].append(
            (message, predicted_intent(result), str(result.get("language")), reached(result))
        )
    order = {kind: i for i, kind in enumerate((*KINDS, "heldout"))}
    languages = {lang: i for i, lang in enumerate(("en", "fr", "ar", "es"))}
    keys = sorted(groups, key=lambda k: (order.get(k[0], 99), languages.get(k[1], 9)))
    return [score_group(kind, language, groups[(kind, language)]) for kind, language in keys]


def ratio(hit: int, total: int) -> str:
    """Format hit/total as a rate with its count, or a dash when there is nothing to count."""
    return f"{hit / total:.2f} ({hit}/{total})" if total else "-"


def print_table(rows: Iterable[GroupScores]) -> None:
    """Print one line per group."""
    header = (f"{'kind':12} {'lang':4} {'n':>4}  {'macroF1':7}  {'right':7}  "
              + "  ".join(f"{'R_' + i:13}" for i in PROTECTION)
              + f"  {'false-topic':15}  lang_acc")
    print(header)
    for s in rows:
        recall = "  ".join(f"{ratio(*s.protection_recall[i]):13}" for i in PROTECTION)
        right = f"{s.correct}/{s.examples}"
        print(f"{s.kind:12} {s.language:4} {s.examples:4}  {s.intent_macro_f1:7.3f}  {right:7}  "
              f"{recall}  "
              f"{ratio(s.false_topic, s.out_of_scope):15}  {s.language_accuracy:.3f}")


def print_errors(messages: Sequence[Message], parsed: Sequence[dict[str, Any]]) -> None:
    """List off-topic lines taken for a topic, missed protection lines and wrong languages."""
    topics: Counter[tuple[str, str]] = Counter()
    print("\nOff-topic messages answered as a topic:")
    for message, result in zip(messages, parsed, strict=True):
        got = predicted_intent(result)
        if message.intent == "out_of_scope" and got not in NOT_A_TOPIC:
            topics[(message.kind, got)] += 1
            print(f"  [{message.kind}/{message.language}] -> {got}: {message.text}")
    print("\nProtection messages missed:")
    for message, result in zip(messages, parsed, strict=True):
        got = predicted_intent(result)
        if message.intent in PROTECTION and message.intent not in reached(result):
            where = f"{message.kind}/{message.language}"
            print(f"  [{where}] {message.intent} -> {got}: {message.text}")
    print("\nWrong language:")
    for message, result in zip(messages, parsed, strict=True):
        if result.get("language") != message.language:
            print(f"  [{message.kind}/{message.language}] -> {result.get('language')} "
                  f"({result.get('language_method')}): {message.text}")
    print("\nFalse topics by kind and predicted intent:")
    for (kind, intent), n in topics.most_common():
        print(f"  {n:3} {kind} -> {intent}")


def main() -> None:
    """Parse every real-world and held-out message with the trained model and print the figures."""
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    model = Path(args[0] if args else REPO_ROOT / "models" / "current.tar.gz")
    realworld, skipped = load_realworld()
    heldout = load_heldout()
    messages = realworld + heldout
    agent = load_agent(model)
    started = time.perf_counter()
    parsed = parse_all(agent, [m.text for m in messages])
    elapsed = time.perf_counter() - started
    print(f"{len(realworld)} real-world messages ({skipped} left out: also in the training data) "
          f"and {len(heldout)} held-out messages parsed in {elapsed:.1f} s")
    print_table(score(messages, parsed))
    if "--errors" in sys.argv:
        print_errors(messages[: len(realworld)], parsed[: len(realworld)])


if __name__ == "__main__":
    main()
