"""Time a full training run (NLU and dialogue) into a temporary directory.

Usage: .venv/bin/python bench/train_time.py
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

from bot.cli import rasa_train
from bot.nlu.examples import read_examples
from bot.paths import NLU_DATA_DIR, REPO_ROOT
from bot.server import child_env


def main() -> None:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run(rasa_train([NLU_DATA_DIR], Path(out), force=True),
                       cwd=REPO_ROOT, env=child_env(), check=True, capture_output=True)
        elapsed = time.perf_counter() - started
    examples = sum(len(read_examples(p)) for p in NLU_DATA_DIR.rglob("*.yml"))
    print(f"training ({examples} examples, 4 languages): {elapsed:.0f} s")


if __name__ == "__main__":
    main()
