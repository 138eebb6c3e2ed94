"""How does the domain gate do on everyday chat from a source it never saw? Training data only.

The gate (`bot/nlu/domain.py`) learns "not the domain" from the real chat of `bot/offtopic/`.
Scored on lines of a source it trained on, it looks better than it is: each source has its own
subjects and style, and the next real person writes like none of them. This bench leaves one
source out at a time: it trains the gate, thresholds included, on everything else and prints the
share of the left-out source's lines the gate keeps (lets through as a topic). That share is an
honest estimate of the gate's false-topic rate on chat it will meet, and it needs no evaluation
data, so it can be used to choose the gate's settings.

A source is one dataset in one language folder (the file name up to its first "_":
`ar/qadi_darija_arabic.yml` and `ar/qadi_levantine_arabic.yml` are both `ar/qadi`; the
AfriSenti tweets of each language are a source of their own). Sources of fewer than
`MIN_LINES` lines in a group (a few lines the detector puts in another language's group) are
not left out on their own.
The cost side is printed beside it: the share of the project's held-out topic messages the gate
trained on everything keeps (a message it does not keep is asked about or refused), and the
share of a FAQ collection's real help-page questions a gate trained without that collection
keeps (`COST_COLLECTIONS`), the one to choose settings on: the held-out set is for measuring.

Given a trained model, it also prints the share the whole pipeline would answer as a topic:
DIET never trains on `bot/offtopic/`, so its intent and confidence on those lines are honest,
and a line counts when DIET's likeliest intent is a topic it is at least as sure of as the
fallback threshold asks, and the left-out gate keeps it (on thin evidence only with DIET sure
of it, as `DomainModel.verdict` decides).

With `--confidences`, it prints that share for each pair of DIET confidences given
(`confirm_confidence:protection_confirm_confidence`, comma-separated) from the same left-out
gates, to choose them without training the gates again for each; with `--blends`, for each pair
of `LexicalBlend` settings (`diet_weight:sharpness`, as `bench/collection_holdout.py` takes
them) too. The linear model of the blend never trains on `bot/offtopic/` either.

`--group first` or `--group new` leaves out only that language group's sources (`language_group`
in `bot/nlu/domain.py`), in about half the time; the cost side is printed for both.

Usage: .venv/bin/python bench/gate_sources.py [models/current.tar.gz]
           [--confidences 0.9:0.99,0.9:0.95] [--blends 0.3:1,0.3:3] [--group new]
"""

from __future__ import annotations

import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import yaml
from collection_holdout import number_pairs, option, set_blend

from bot.evaluation import load_examples, parse_all
from bot.language import get_detector
from bot.nlu.domain import (
    CONVERSATION_INTENTS,
    OUT_OF_SCOPE,
    DomainModel,
    language_group,
)
from bot.nlu.domain import SETTINGS as GATE_SETTINGS
from bot.nlu.examples import read_examples
from bot.paths import NLU_DATA_DIR, OFFTOPIC_DIR, REPO_ROOT

MIN_LINES = 30
# Real help-page questions from pages no other collection used (bot/nlu/faq*_sources.md): the
# gate trained without one of them shows what its thresholds cost on questions it never saw.
COST_COLLECTIONS = ("faq3", "faq4")


def pipeline_settings(config: Path = REPO_ROOT / "config.yml") -> tuple[dict[str, float], float]:
    """Return the gate's settings as `DomainGate` trains with them, and the fallback threshold."""
    from bot.nlu.components import DomainGate

    pipeline = {step["name"]: step for step in yaml.safe_load(config.read_text())["pipeline"]}
    gate = {**DomainGate.get_default_config(),
            **pipeline.get("bot.nlu.components.DomainGate", {})}
    fallback = float(pipeline["FallbackClassifier"]["threshold"])
    return {key: gate[key] for key in GATE_SETTINGS}, fallback


SETTINGS, FALLBACK_THRESHOLD = pipeline_settings()


def chat_sources(directory: Path = OFFTOPIC_DIR) -> dict[Path, str]:
    """Return each chat file and its source: language folder and dataset name."""
    return {path: f"{path.parent.name}/{path.stem.split('_')[0]}"
            for path in sorted(directory.glob("*/*.yml"))}


def keep_rate(model: DomainModel, texts: Sequence[str]) -> float:
    """Return the share of `texts` the gate would let through as a topic."""
    return float(np.mean(model.scores(list(texts)) >= model.threshold)) if texts else 0.0


def answered_rate(model: DomainModel, texts: Sequence[str], parsed: Sequence[dict]) -> float:
    """Return the share of `texts` the pipeline would answer as a topic (see the docstring)."""
    answered = 0
    for text, result in zip(texts, parsed, strict=True):
        ranking = [r for r in result.get("intent_ranking") or [] if r["name"] != "nlu_fallback"]
        if (result.get("domain") or {}).get("verdict") == "reject":
            # The served gate trained on this very source put out_of_scope first: judge the
            # intents below it, with the left-out gate alone.
            ranking = ranking[1:]
        if not ranking or ranking[0]["name"] in CONVERSATION_INTENTS | {OUT_OF_SCOPE} or (
                ranking[0]["confidence"] < FALLBACK_THRESHOLD):
            continue
        verdict = model.verdict(text, ranking[0]["name"], ranking[0]["confidence"])
        answered += verdict.action == "keep"
    return answered / len(texts) if texts else 0.0


def main() -> None:
    started = time.perf_counter()
    args = sys.argv[1:]
    pairs = [(SETTINGS["confirm_confidence"], SETTINGS["protection_confirm_confidence"])]
    if value := option(args, "--confidences"):
        pairs = number_pairs(value)
    blends: list[tuple[float, float] | None] = [None]
    if value := option(args, "--blends"):
        blends = list(number_pairs(value))
    only = option(args, "--group")
    agent = None
    if args:
        from bot.classify import load_agent

        agent = load_agent(args[0])
    detector = get_detector("lingua")
    topics = [(t, i) for path in sorted(NLU_DATA_DIR.glob("*/*.yml"))
              for t, i in read_examples(path)]
    chat = [(t, source) for path, source in chat_sources().items()
            for t, _ in read_examples(path)]
    groups: dict[str, dict[str, list]] = defaultdict(lambda: {"topics": [], "chat": []})
    for text, intent in topics:
        groups[language_group(detector.detect(text).code)]["topics"].append((text, intent))
    for text, source in chat:
        groups[language_group(detector.detect(text).code)]["chat"].append((text, source))

    print("Domain gate, leave one chat source out: share of the left-out source's lines kept "
          "as a topic")
    for group, data in sorted(groups.items()):
        if only is not None and group != only:
            continue
        sizes = Counter(source for _, source in data["chat"])
        left_out = sorted(source for source, size in sizes.items() if size >= MIN_LINES)
        rates: list[float] = []
        answered: dict[tuple[tuple[float, float] | None, tuple[float, float]], list[float]] = {
            (setting, pair): [] for setting in blends for pair in pairs}
        print(f"\ngroup {group}: {len(data['topics'])} intent examples, "
              f"{len(data['chat'])} chat lines, {len(left_out)} sources")
        for name in left_out:
            kept_in = [(t, OUT_OF_SCOPE) for t, s in data["chat"] if s != name]
            texts = [t for t, _ in data["topics"] + kept_in]
            intents = [i for _, i in data["topics"] + kept_in]
            model = DomainModel(**SETTINGS).fit(texts, intents)
            held = [t for t, s in data["chat"] if s == name]
            rate = keep_rate(model, held)
            rates.append(rate)
            line = f"  {name:40s} {len(held):5d} lines  kept {rate:.3f}"
            if agent is not None:
                for setting in blends:
                    if setting is not None:
                        set_blend(agent, *setting)
                    parsed = parse_all(agent, held)
                    for pair in pairs:
                        model.confirm_confidence, model.protection_confirm_confidence = pair
                        answered[setting, pair].append(answered_rate(model, held, parsed))
                line += "  answered as a topic " + " ".join(
                    f"{rates_of[-1]:.3f}" for rates_of in answered.values())
            print(line)
        print(f"  {'mean over sources':40s} {'':11s} kept {np.mean(rates):.3f}")
        if agent is not None:
            for (setting, (confirm, protection)), rates_of in answered.items():
                blended = "" if setting is None else f"blend {setting[0]}:{setting[1]}, "
                print(f"    {blended}DIET confidence {confirm} (protection {protection}): "
                      f"answered as a topic {np.mean(rates_of):.3f}")

    gates = {group: DomainModel(**SETTINGS).fit(
        [t for t, _ in data["topics"]] + [t for t, _ in data["chat"]],
        [i for _, i in data["topics"]] + [OUT_OF_SCOPE] * len(data["chat"]))
        for group, data in groups.items()}
    held_topics: dict[str, list[str]] = defaultdict(list)
    for example in load_examples():
        if example.intent not in CONVERSATION_INTENTS and example.intent != OUT_OF_SCOPE:
            held_topics[language_group(example.language)].append(example.text)
    print("\nCost: held-out topic messages kept by the gate trained on everything")
    for group, texts in sorted(held_topics.items()):
        print(f"  group {group}: {len(texts)} messages, kept {keep_rate(gates[group], texts):.3f}")
    print("Cost on real questions: a FAQ collection's topic questions kept by the gate trained "
          "without it")
    for collection in COST_COLLECTIONS:
        collected = {t for path in NLU_DATA_DIR.glob(f"*/{collection}.yml")
                     for t, _ in read_examples(path)}
        for group, data in sorted(groups.items()):
            questions = [t for t, i in data["topics"] if t in collected
                         and i not in CONVERSATION_INTENTS and i != OUT_OF_SCOPE]
            if not questions:
                continue
            kept_in = [(t, i) for t, i in data["topics"] if t not in collected] + [
                (t, OUT_OF_SCOPE) for t, _ in data["chat"]]
            gate = DomainModel(**SETTINGS).fit([t for t, _ in kept_in], [i for _, i in kept_in])
            print(f"  {collection}, group {group}: {len(questions)} questions, "
                  f"kept {keep_rate(gate, questions):.3f}")
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
