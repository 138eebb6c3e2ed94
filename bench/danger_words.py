"""Print what the words of danger (`bot/nlu/risk.py`) cost and catch, on training data alone.

For the first four languages' training examples (`bot/nlu/<language>/`) and everyday chat
(`bot/offtopic/<language>/`), per language:

* chat lines and `out_of_scope` examples holding a word of danger that points to a topic and
  that small talk does not explain: small talk that is asked about ("Did you mean ...?") when
  the model takes it for small talk, instead of the short off-topic answer;
* topic examples of another topic holding such a word that the other examples of their own
  intent do not explain (`bot.nlu.risk.explained_words`, as the domain gate learns it): questions
  the gate adds even when the model picks the right topic;
* protection examples holding a word that points to their own topic: those the words catch
  when the model misses them.

With --words, each word's examples by intent and its chat lines.

Usage: .venv/bin/python bench/danger_words.py [--words]
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from bot.nlu.domain import PROTECTION_INTENTS
from bot.nlu.examples import read_examples
from bot.nlu.risk import danger_topics, danger_words, explained_words
from bot.paths import OFFTOPIC_DIR, REPO_ROOT

LANGUAGES = ("en", "fr", "ar", "es")
NLU_DIR = REPO_ROOT / "bot" / "nlu"


def examples(folder: Path) -> list[tuple[str, str]]:
    """Return (text, intent) of every YAML file of `folder`."""
    return [pair for path in sorted(folder.glob("*.yml")) for pair in read_examples(path)]


def main() -> None:
    training = {language: examples(NLU_DIR / language) for language in LANGUAGES}
    chat = {language: [t for t, _ in examples(OFFTOPIC_DIR / language)] for language in LANGUAGES}
    # As the domain gate learns it: every language's examples, and the chat as out_of_scope.
    everything = [pair for folder in sorted(NLU_DIR.iterdir()) if folder.is_dir()
                  for pair in examples(folder)]
    everything += [(t, "out_of_scope") for folder in sorted(OFFTOPIC_DIR.iterdir())
                   if folder.is_dir() for t, _ in examples(folder)]
    explained = explained_words([t for t, _ in everything], [i for _, i in everything])
    print(f"{'language':9} {'chat asked':>16} {'topics asked':>18} {'protection caught':>20}")
    for language in LANGUAGES:
        small_talk = chat[language] + [t for t, i in training[language] if i == "out_of_scope"]
        chat_hits = sum(1 for t in small_talk if danger_topics(
            [w for w in danger_words(t) if "out_of_scope" not in explained.get(w, ())]))
        added = caught = protection = 0
        for text, intent in training[language]:
            words = danger_words(text)
            pointed = danger_topics([w for w in words if intent not in explained.get(w, ())])
            if intent in PROTECTION_INTENTS:
                protection += 1
                caught += intent in danger_topics(words)
            elif intent != "out_of_scope" and pointed:
                added += 1
        topics = sum(1 for _, i in training[language]
                     if i not in PROTECTION_INTENTS and i != "out_of_scope")
        print(f"{language:9} {chat_hits:>6} of {len(small_talk):>6} {added:>7} of {topics:>7}"
              f" {caught:>9} of {protection:>7}")
    if "--words" in sys.argv:
        seen: dict[str, Counter[str]] = {}
        for text, intent in everything:
            for word in danger_words(text):
                seen.setdefault(word, Counter())[intent] += 1
        lines = [t for texts in chat.values() for t in texts]
        for word, counts in sorted(seen.items(), key=lambda item: -sum(item[1].values())):
            in_chat = sum(1 for t in lines if word in danger_words(t))
            print(f"{word:16} chat {in_chat:3}  "
                  + ", ".join(f"{i} {n}" for i, n in counts.most_common(5)))


if __name__ == "__main__":
    main()
