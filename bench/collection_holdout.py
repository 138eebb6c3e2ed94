"""How well does a pipeline understand real questions from pages it never trained on? Training
data only.

The help-page evaluation set (`tests/data/realworld/`) is small (19-46 questions a language) and
must never choose a setting. The FAQ collections in the training data are real help-page
questions too (`bot/nlu/<lang>/faq*.yml`, each from pages no earlier collection used; see
`bot/nlu/faq*_sources.md`). This bench trains a model on everything but one collection, with
each config given, and prints per language the intent macro-F1, accuracy and the shares asked
about ("Did you mean ...?") and refused as off topic on the left-out collection, a few hundred
questions, then the recall of the four protection topics as `bench/nlu_realworld.py` counts it.
That is an honest figure for choosing a pipeline setting, such as DIET's epochs. With
`--blends`, the same model is scored again with each pair of `LexicalBlend` settings given
(`diet_weight:sharpness`, comma-separated), which act at parse time and need no retraining; with
`--confidences`, with each pair of the domain gate's confidences on thin evidence
(`confirm_confidence:protection_confirm_confidence`, as `bench/gate_sources.py` takes them, which
prints what they do to chat), the cost side of that choice (with the last `--blends` setting
when both are given).

DIET's seed moves single models by several points (`docs/measurements.md`): compare configs
that differ by more than their seed, or several seeds of each.

With `--keep DIR`, each model is kept there as `<config>-without-<collection>.tar.gz`, to be
scored again later (`--model` scores a kept model without training). `--confusions` prints
each language's most frequent mistakes (expected -> answered), to see what a change should aim
at without looking at the evaluation set.

Usage: .venv/bin/python bench/collection_holdout.py [--leave faq3] [--blends 0.3:1,0.3:2]
           [--confidences 0.9:0.99,0.95:0.99] [--keep DIR] [--confusions]
           (config.yml [other.yml ...] | --model kept.tar.gz)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from nlu_realworld import PROTECTION, reached

from bot.classify import load_agent
from bot.cli import rasa_train
from bot.evaluation import macro_f1, parse_all, top_intent
from bot.nlu.components import DomainGate, LexicalBlend
from bot.nlu.examples import read_examples
from bot.paths import NLU_DATA_DIR, REPO_ROOT
from bot.server import child_env

LANGUAGES = ("en", "fr", "ar", "es")


def train_without(collection: str, config: Path, out: Path) -> tuple[Path, float]:
    """Train on the NLU data minus `collection`'s files; return the model and the seconds."""
    data = out / "nlu"
    shutil.copytree(NLU_DATA_DIR, data, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for path in data.glob(f"*/{collection}.yml"):
        path.unlink()
    started = time.perf_counter()
    subprocess.run(rasa_train([data], out, config=config, name="holdout", force=True),
                   cwd=REPO_ROOT, env=child_env(), check=True, capture_output=True)
    return out / "holdout.tar.gz", time.perf_counter() - started


def number_pairs(argument: str) -> list[tuple[float, float]]:
    """Parse `0.3:1,0.3:2` into pairs of numbers: `--blends`' (diet_weight, sharpness) of
    `LexicalBlend`, `--confidences`' (confirm, protection confirm) of the domain gate."""
    return [(float(a), float(b)) for a, b in (pair.split(":") for pair in argument.split(","))]


def loaded_components(agent: Any, kind: type) -> list[Any]:
    """Return the loaded model's pipeline components of class `kind`."""
    return [node._component for node in agent.processor.graph_runner._instantiated_nodes.values()
            if isinstance(node._component, kind)]


def set_blend(agent: Any, diet_weight: float, sharpness: float) -> None:
    """Make the loaded model's `LexicalBlend` blend with these settings."""
    nodes = loaded_components(agent, LexicalBlend)
    if not nodes:
        sys.exit("--blends needs a pipeline with bot.nlu.components.LexicalBlend")
    for component in nodes:
        component.config = {**component.config, "diet_weight": diet_weight,
                            "sharpness": sharpness}


def set_confidences(agent: Any, confirm: float, protection_confirm: float) -> None:
    """Make the loaded model's domain gate ask for these confidences on thin evidence."""
    gates = loaded_components(agent, DomainGate)
    if not gates or gates[0]._model is None:
        sys.exit("--confidences needs a pipeline with a trained bot.nlu.components.DomainGate")
    for gate in gates:
        for model in gate._model.models.values():
            model.confirm_confidence, model.protection_confirm_confidence = (
                confirm, protection_confirm)


def score(agent: Any, collection: str, confusions: bool = False) -> None:
    """Print the left-out collection's figures per language for the loaded model, and its most
    frequent mistakes if `confusions`."""
    means = []
    recalled = {intent: [0, 0] for intent in PROTECTION}
    for language in LANGUAGES:
        rows = read_examples(NLU_DATA_DIR / language / f"{collection}.yml")
        if not rows:
            continue
        parsed = parse_all(agent, [text for text, _ in rows])
        expected = [intent for _, intent in rows]
        got = [(p.get("intent") or {}).get("name") for p in parsed]
        leaned = [top_intent(p) for p in parsed]
        f1 = macro_f1(expected, got)
        means.append(f1)
        n = len(rows)
        print(f"  {language}  n={n:3}  macroF1 {f1:.3f}  accuracy "
              f"{sum(e == g for e, g in zip(expected, got, strict=True)) / n:.3f}  "
              f"(leaning {sum(e == g for e, g in zip(expected, leaned, strict=True)) / n:.3f})  "
              f"asked {got.count('nlu_fallback') / n:.3f}  "
              f"off topic {got.count('out_of_scope') / n:.3f}")
        if confusions:
            mistakes = Counter((e, g) for e, g in zip(expected, got, strict=True) if e != g)
            print("      " + ", ".join(f"{e}->{g} {count}"
                                       for (e, g), count in mistakes.most_common(12)))
        for intent in PROTECTION:
            wanted = [reached(p) for e, p in zip(expected, parsed, strict=True) if e == intent]
            recalled[intent][0] += sum(intent in r for r in wanted)
            recalled[intent][1] += len(wanted)
    print(f"  mean macroF1 {sum(means) / len(means):.3f}")
    print("  protection recall (answered, or among the choices asked), four languages: "
          + ", ".join(f"{intent} {hit}/{total}" for intent, (hit, total) in recalled.items()))


def option(args: list[str], name: str) -> str | None:
    """Remove `name` and its value from `args`; return the value, or None if absent."""
    if name not in args:
        return None
    at = args.index(name)
    value = args[at + 1]
    del args[at:at + 2]
    return value


def score_all(agent: Any, collection: str, blends: list[tuple[float, float]],
              confidences: list[tuple[float, float]], confusions: bool) -> None:
    """Score the loaded model as it is, then with each blend and each gate setting given."""
    score(agent, collection, confusions)
    for diet_weight, sharpness in blends:
        print(f"  blend: DIET's weight {diet_weight}, sharpness {sharpness}")
        set_blend(agent, diet_weight, sharpness)
        score(agent, collection, confusions)
    for confirm, protection_confirm in confidences:
        print(f"  the gate on thin evidence: confidence {confirm} "
              f"(protection {protection_confirm})")
        set_confidences(agent, confirm, protection_confirm)
        score(agent, collection, confusions)


def main() -> None:
    args = sys.argv[1:]
    collection = option(args, "--leave") or "faq3"
    blends = number_pairs(value) if (value := option(args, "--blends")) else []
    confidences = number_pairs(value) if (value := option(args, "--confidences")) else []
    keep = option(args, "--keep")
    kept = option(args, "--model")
    confusions = "--confusions" in args
    if confusions:
        args.remove("--confusions")
    if not (args or kept) or not list(NLU_DATA_DIR.glob(f"*/{collection}.yml")):
        sys.exit(__doc__)
    if kept:
        print(f"{kept}, scored on {collection}:")
        score_all(load_agent(Path(kept)), collection, blends, confidences, confusions)
    for config in map(Path, args):
        with tempfile.TemporaryDirectory() as out:
            model, seconds = train_without(collection, config.resolve(), Path(out))
            if keep:
                Path(keep).mkdir(parents=True, exist_ok=True)
                shutil.copy(model, Path(keep) / f"{config.stem}-without-{collection}.tar.gz")
            print(f"{config} without {collection} (trained in {seconds:.0f} s):")
            score_all(load_agent(model), collection, blends, confidences, confusions)


if __name__ == "__main__":
    main()
