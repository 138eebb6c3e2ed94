"""Where the repository's own files are, wherever the command is run from."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = REPO_ROOT / "content"
NLU_DATA_DIR = REPO_ROOT / "bot" / "nlu"
# Real everyday chat, per language: what the assistant is not about. The domain gate and the
# Arabizi letter model learn from it; DIET does not (bot/nlu/domain.py says why).
OFFTOPIC_DIR = REPO_ROOT / "bot" / "offtopic"
MODELS_DIR = REPO_ROOT / "models"
