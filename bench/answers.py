"""Print what a topic answer costs by SMS, per language.

Usage: .venv/bin/python bench/answers.py

For every topic and country (the general text plus the country part, placeholders filled, as
`bot.content.render.topic_answer` gives it and the SMS channel sends it: accents folded where
that makes it GSM-7), per language: the encoding of most answers, median, 90th percentile and
maximum of SMS segments, and the share within 3 segments. Latin-script languages go out in GSM-7
(160 characters, 153 a part), Arabic and Ge'ez script in UCS-2 (70, 67 a part); the menu and
"where" blocks are measured by bench/directory.py.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict

from bot import sms
from bot.content import load_content
from bot.content.render import topic_answer
from bot.paths import CONTENT_DIR

GOAL = 3


def main() -> None:
    """Print one line per language."""
    content = load_content(CONTENT_DIR)
    counts: dict[str, list[int]] = defaultdict(list)
    encodings: dict[str, Counter[str]] = defaultdict(Counter)
    for name, topic in content.topics.items():
        countries = list(content.countries) if topic.needs_country else [None]
        for country in countries:
            for language in content.languages:
                text = sms.gsm_fold(topic_answer(content, name, language, country).text)
                counts[language].append(sms.segments(text))
                encodings[language][sms.encoding(text)] += 1
    print(f"{'lang':<5} {'answers':>7} {'encoding':<8} {'median':>6} {'p90':>4} {'max':>4} "
          f"{'<=3 segments':>12}")
    for language in content.languages:
        values = sorted(counts[language])
        p90 = values[int(0.9 * (len(values) - 1))]
        within = sum(1 for v in values if v <= GOAL) / len(values)
        encoding = encodings[language].most_common(1)[0][0]
        print(f"{language:<5} {len(values):>7} {encoding:<8} {statistics.median(values):>6} "
              f"{p90:>4} {max(values):>4} {within:>12.0%}")


if __name__ == "__main__":
    main()
