"""Print per-language intent macro-F1 and language accuracy on the held-out messages.

Usage: .venv/bin/python bench/nlu_quality.py [models/current.tar.gz] [--errors]
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from bot.classify import load_agent
from bot.evaluation import load_examples, parse_all, score


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    model = Path(args[0] if args else "models/current.tar.gz")
    agent = load_agent(model)
    examples = load_examples()
    started = time.perf_counter()
    parsed = parse_all(agent, [e.text for e in examples])
    elapsed = time.perf_counter() - started
    print(f"{len(examples)} held-out messages parsed in {elapsed:.1f} s "
          f"({1000 * elapsed / len(examples):.1f} ms each)")
    print("lang  n    macroF1  macroF1(no threshold)  fallback  lang_acc  lang_acc(1-3 words, n)")
    for s in score(examples, parsed):
        print(f"{s.language:4}  {s.examples:3}  {s.intent_macro_f1:.3f}    "
              f"{s.intent_macro_f1_no_threshold:.3f}                  {s.fallback_rate:.3f}     "
              f"{s.language_accuracy:.3f}     {s.short_language_accuracy:.3f} ({s.short_examples})")
    if "--errors" in sys.argv:
        confusions = Counter()
        for e, p in zip(examples, parsed, strict=False):
            got = (p.get("intent") or {}).get("name")
            if got != e.intent:
                confusions[(e.language, e.intent, got)] += 1
                print(f"  [{e.language}] {e.intent} -> {got}: {e.text}")
            if p.get("language") != e.language:
                print(f"  LANG [{e.language}] -> {p.get('language')} "
                      f"({p.get('language_method')}): {e.text}")
        for (lang, want, got), n in confusions.most_common(25):
            print(f"{n:3} {lang} {want} -> {got}")


if __name__ == "__main__":
    main()
