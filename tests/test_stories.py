"""Rasa's own conversation tests (tests/stories/), run with `rasa test core`.

Each story gives the user's words in one language, the intent they must be read as and the
action that must follow; a wrong intent or action fails the suite.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.paths import REPO_ROOT
from bot.server import child_env


def test_conversation_stories_in_all_nine_languages(model: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "test", "core", "--model", str(model),
         "--stories", str(REPO_ROOT / "tests" / "stories"), "--out", str(tmp_path),
         "--fail-on-prediction-errors", "--no-plot"],
        cwd=REPO_ROOT, env=child_env(), capture_output=True, text=True, timeout=600)
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text(encoding="utf-8") if failed.exists() else ""
    assert result.returncode == 0, (details or result.stdout[-3000:] + result.stderr[-3000:])
