"""Read the examples of a Rasa NLU YAML file (training data or the held-out sets)."""

from __future__ import annotations

from pathlib import Path

import yaml


def read_examples(path: Path) -> list[tuple[str, str]]:
    """Return (text, intent) for every example of the Rasa NLU file at `path`."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found = []
    for block in data.get("nlu") or []:
        for line in str(block.get("examples", "")).splitlines():
            text = line.strip()
            if text.startswith("- "):
                found.append((text[2:].strip(), str(block["intent"])))
    return found
