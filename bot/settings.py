"""Settings, read once from the environment and passed in.

| variable | meaning | default |
|---|---|---|
| DEFAULT_LANGUAGE | reply language when nothing else tells (en, fr, ar, es) | en |
| CONTENT_DIR | where the content files are | the repository's content/ |
| CONTENT_MAX_AGE_DAYS | review age after which content check warns | 365 |
| REDIS_URL | keep conversations in Redis instead of memory (redis://host:port/db) | unset |
| TRACKER_RECORD_EXP | seconds a conversation is kept in Redis | 3600 |
| LOG_LEVEL | DEBUG, INFO, WARNING, ERROR | INFO |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

from bot.paths import CONTENT_DIR

SUPPORTED_LANGUAGES = ("en", "fr", "ar", "es")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class SettingsError(ValueError):
    """A variable is present but malformed; the message names it, never its value."""


@dataclass(frozen=True)
class Settings:
    """Everything configurable, validated."""

    default_language: str = "en"
    content_dir: Path = CONTENT_DIR
    content_max_age_days: int = 365
    redis_url: str | None = None
    tracker_record_exp: int = 3600
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and validate the settings; raise SettingsError naming a malformed variable."""
        env = os.environ if env is None else env
        default_language = env.get("DEFAULT_LANGUAGE", "en").strip().lower()
        if default_language not in SUPPORTED_LANGUAGES:
            raise SettingsError(f"DEFAULT_LANGUAGE must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        content_dir = Path(env.get("CONTENT_DIR") or CONTENT_DIR)
        if not (content_dir / "topics").is_dir():
            raise SettingsError("CONTENT_DIR must be a directory with a topics/ folder")
        redis_url = env.get("REDIS_URL") or None
        if redis_url is not None:
            parsed = urlparse(redis_url)
            if parsed.scheme not in ("redis", "rediss") or not parsed.hostname:
                raise SettingsError("REDIS_URL must look like redis://host:port/db")
        log_level = env.get("LOG_LEVEL", "INFO").strip().upper()
        if log_level not in LOG_LEVELS:
            raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        return cls(
            default_language=default_language,
            content_dir=content_dir,
            content_max_age_days=_positive_int(env, "CONTENT_MAX_AGE_DAYS", 365),
            redis_url=redis_url,
            tracker_record_exp=_positive_int(env, "TRACKER_RECORD_EXP", 3600),
            log_level=log_level,
        )


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive")
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process's settings (the action server has no other way to receive them)."""
    return Settings.from_env()
