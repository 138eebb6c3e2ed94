"""The real-world evaluation sets stay apart from training: by source, and line by line."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.evaluation import training_keys
from bot.paths import NLU_DATA_DIR, OFFTOPIC_DIR, REPO_ROOT
from bot.text import tokens

REALWORLD = REPO_ROOT / "tests" / "data" / "realworld"
LANGID = REPO_ROOT / "tests" / "data" / "langid"
# A repository ("owner/name") or a web site ("help.unhcr.org") named as a source.
_REPO = re.compile(r"\b([A-Za-z0-9][\w.-]*/[\w.-]+)\b")
_SITE = re.compile(r"https?://([^/\s;]+)")


def _records(folder: Path = REALWORLD) -> list[dict[str, str]]:
    return [json.loads(line) for path in sorted(folder.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _evaluation_sources() -> tuple[set[str], set[str]]:
    repos, sites = set(), set()
    for record in _records() + _records(LANGID):
        source = record["source"]
        sites |= {s.removeprefix("www.") for s in _SITE.findall(source)}
        if not _SITE.search(source):
            repos |= {m.lower() for m in _REPO.findall(source.split(" ")[0])}
    return repos, sites


def _training_source_text() -> str:
    texts = [path.read_text(encoding="utf-8") for path in sorted(OFFTOPIC_DIR.glob("*/*.yml"))]
    # The tables of the source lists (their prose names the evaluation sources it avoids).
    lists = [OFFTOPIC_DIR / "sources.md", *sorted(NLU_DATA_DIR.glob("faq*_sources.md"))]
    assert len(lists) >= 3, "the chat list and every FAQ collection's list"
    texts += [line for path in lists
              for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    texts += [path.read_text(encoding="utf-8").split("version:")[0]
              for path in sorted(NLU_DATA_DIR.glob("*/faq*.yml"))]
    return "\n".join(texts).lower()


def test_every_evaluation_record_names_its_source_and_a_known_label() -> None:
    intents = set((REPO_ROOT / "domain.yml").read_text(encoding="utf-8").split())
    records = _records()
    assert len(records) >= 800
    for record in records:
        assert record["source"].strip(), record
        assert record["language"] in ("en", "fr", "ar", "es"), record
        assert f"- {record['intent']}" in "\n".join(f"- {w}" for w in intents) or (
            record["intent"] == "out_of_scope"), record


def test_the_language_identification_lines_name_their_source_and_a_new_language() -> None:
    records = _records(LANGID)
    assert {r["language"] for r in records} == {"om", "am", "ti", "so", "ha"}
    assert all(r["source"].split(" ")[0] == "dadelani/sib-200" and r["text"].strip()
               for r in records)


def test_no_evaluation_source_is_named_by_the_training_data() -> None:
    """Split by source: no repository or web site of the evaluation sets feeds training."""
    repos, sites = _evaluation_sources()
    training = _training_source_text()
    assert repos and sites
    assert not {r for r in repos if r in training}, "evaluation repository used for training"
    assert not {s for s in sites if s in training}, "evaluation web site used for training"


def test_no_evaluation_line_is_a_training_example() -> None:
    """The bench leaves such lines out; this keeps them to a handful of one-word headings."""
    seen = training_keys()
    chat = {" ".join(tokens(text)) for path in OFFTOPIC_DIR.glob("*/*.yml")
            for text in _examples(path)}
    overlap = [r["text"] for r in _records() + _records(LANGID)
               if " ".join(tokens(r["text"])) in seen | chat]
    assert len(overlap) <= 10, overlap


def _examples(path: Path) -> list[str]:
    from bot.nlu.examples import read_examples

    return [text for text, _ in read_examples(path)]
