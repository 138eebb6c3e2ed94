"""Where the repository's own files are, wherever the command is run from."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = REPO_ROOT / "content"
NLU_DATA_DIR = REPO_ROOT / "bot" / "nlu"
MODELS_DIR = REPO_ROOT / "models"
