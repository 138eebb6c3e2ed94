"""`migrant-bot classify`: how the model reads messages, one JSON object per line.

Each input line is cleaned as the channels clean it (invisible characters removed, a leading
"/" read as text), then parsed by the trained model, loaded once. Output keys: `text`,
`intent`, `confidence`, `language`, `language_confidence`, `language_method`, `entities`
(type and value), `intent_ranking` (top three).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, TextIO

from bot.text import neutralize_command_prefix


def load_agent(model: Path) -> Any:
    """Load the trained model (NLU and dialogue) once."""
    from rasa.core.agent import Agent

    from bot.logs import configure_logging

    configure_logging()
    return Agent.load(str(model))


def to_record(text: str, parsed: dict[str, Any]) -> dict[str, Any]:
    """Keep the fields staff and quality measurements need."""
    intent = parsed.get("intent") or {}
    return {
        "text": text,
        "intent": intent.get("name"),
        "confidence": round(float(intent.get("confidence") or 0.0), 4),
        "language": parsed.get("language"),
        "language_confidence": parsed.get("language_confidence"),
        "language_method": parsed.get("language_method"),
        "entities": [
            {"entity": e.get("entity"), "value": e.get("value")}
            for e in parsed.get("entities") or []
        ],
        "intent_ranking": [
            {"name": r.get("name"), "confidence": round(float(r.get("confidence") or 0), 4)}
            for r in (parsed.get("intent_ranking") or [])[:3]
        ],
    }


def classify_stream(model: Path, stdin: TextIO, stdout: TextIO) -> int:
    """Classify every line of `stdin`."""
    agent = load_agent(model)
    loop = asyncio.new_event_loop()
    try:
        for line in stdin:
            text = line.rstrip("\r\n")
            parsed = loop.run_until_complete(agent.parse_message(neutralize_command_prefix(text)))
            stdout.write(json.dumps(to_record(text, parsed), ensure_ascii=False) + "\n")
            stdout.flush()
    finally:
        loop.close()
    return 0
