"""Settings, read once from the environment and passed in.

| variable | meaning | default |
|---|---|---|
| DEFAULT_LANGUAGE | reply language when nothing else tells (en fr ar es om am ti so ha) | en |
| CONTENT_DIR | where the content files are | the repository's content/ |
| CONTENT_MAX_AGE_DAYS | review age after which content check warns | 365 |
| DIRECTORY_MAX_AGE_DAYS | verification age after which a directory entry is flagged | 730 |
| REDIS_URL | keep conversations in Redis instead of memory (redis://host:port/db) | unset |
| TRACKER_RECORD_EXP | seconds a conversation is kept in Redis | 3600 |
| LOG_LEVEL | DEBUG, INFO, WARNING, ERROR | INFO |
| DATABASE_URL | SQLAlchemy URL (SQLite or PostgreSQL) | var/migrant-bot.sqlite3 |
| PSEUDONYM_KEY | secret key of the pseudonyms, 32+ characters | needed by the channels |
| PUBLIC_BASE_URL | the https URL the internet reaches us at (Twilio signs it) | unset |
| TELEGRAM_BOT_TOKEN | enables Telegram | unset |
| TELEGRAM_WEBHOOK_SECRET | sent by Telegram with each update | needed with the token |
| TELEGRAM_API_BASE_URL | root of the Bot API | https://api.telegram.org |
| TWILIO_ACCOUNT_SID | enables Twilio SMS and WhatsApp (AC + 32 hex) | unset |
| TWILIO_AUTH_TOKEN | checks webhook signatures, authenticates sends | needed with the SID |
| TWILIO_SMS_FROM | SMS sender: +E.164 or a Messaging Service SID (MG...) | unset |
| TWILIO_WHATSAPP_FROM | WhatsApp sender, whatsapp:+E.164 | unset |
| TWILIO_API_BASE_URL | root of the Twilio REST API | https://api.twilio.com |
| SMS_SEGMENT_BUDGET | segments an SMS answer may use before "reply MORE" (1-10) | 3 |
| ANALYTICS_RETENTION_DAYS | days per-turn events are kept, then rolled into counts | 90 |
| ANALYTICS_SPOOL_PATH | where events wait while the database is down | var/analytics-spool.jsonl |
| ANALYTICS_SPOOL_MAX_EVENTS | events the spool holds; more are dropped and counted | 100000 |
| ANALYTICS_SUPPRESSION_THRESHOLD | report cells below this are shown as "<N" | 5 |
| ANALYTICS_KEY_FILE | the installation's own key when PSEUDONYM_KEY is unset | var/analytics.key |
| INBOX_LEASE_SECONDS | seconds before a dead process's inbox messages are taken again | 30 |
| DASHBOARD_PORT | `serve` also starts the staff dashboard on this port | unset |
| DASHBOARD_SECRET | signs the dashboard's session cookies, 32+ characters | key file |
| DASHBOARD_KEY_FILE | its own signing key when DASHBOARD_SECRET is unset | var/dashboard.key |

A channel whose variables are absent is not enabled. One that is half configured (a token without
its secret, a SID without a sender) stops start-up, like a malformed value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

from bot.content.directory import DIRECTORY_MAX_AGE_DAYS
from bot.paths import CONTENT_DIR, REPO_ROOT

# The reply languages, in menu order; content/languages.yml lists the same (a test checks).
SUPPORTED_LANGUAGES = ("en", "fr", "ar", "es", "om", "am", "ti", "so", "ha")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_DATABASE_URL = f"sqlite:///{REPO_ROOT / 'var' / 'migrant-bot.sqlite3'}"
DEFAULT_SPOOL_PATH = REPO_ROOT / "var" / "analytics-spool.jsonl"
DEFAULT_KEY_FILE = REPO_ROOT / "var" / "analytics.key"
DEFAULT_DASHBOARD_KEY_FILE = REPO_ROOT / "var" / "dashboard.key"
MIN_PSEUDONYM_KEY_CHARS = 32
#: Broadcast send rates (messages a second; SMS counts segments): Telegram's documented bulk
#: limit, and Twilio figures to set to the sender's MPS (the Twilio console shows it).
BROADCAST_RATES = {"telegram": 30.0, "sms": 10.0, "whatsapp": 20.0}

_TELEGRAM_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")
_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_TWILIO_SID = re.compile(r"AC[0-9a-fA-F]{32}")
_TWILIO_TOKEN = re.compile(r"[0-9a-fA-F]{32}")
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_MESSAGING_SERVICE = re.compile(r"MG[0-9a-fA-F]{32}")


class SettingsError(ValueError):
    """A variable is present but malformed; the message names it, never its value."""


@dataclass(frozen=True)
class TelegramSettings:
    """The Telegram channel's configuration (secrets never shown in a repr)."""

    token: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    api_base_url: str = "https://api.telegram.org"


@dataclass(frozen=True)
class TwilioSettings:
    """The Twilio channel's configuration: SMS, WhatsApp or both."""

    account_sid: str
    auth_token: str = field(repr=False)
    sms_from: str | None = None
    whatsapp_from: str | None = None
    api_base_url: str = "https://api.twilio.com"

    @property
    def kinds(self) -> tuple[str, ...]:
        """Return the enabled kinds: "sms", "whatsapp"."""
        return tuple(kind for kind, sender in (("sms", self.sms_from),
                                               ("whatsapp", self.whatsapp_from)) if sender)


@dataclass(frozen=True)
class Settings:
    """Everything configurable, validated."""

    default_language: str = "en"
    content_dir: Path = CONTENT_DIR
    content_max_age_days: int = 365
    directory_max_age_days: int = DIRECTORY_MAX_AGE_DAYS
    redis_url: str | None = None
    tracker_record_exp: int = 3600
    log_level: str = "INFO"
    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)
    pseudonym_key: bytes | None = field(default=None, repr=False)
    public_base_url: str | None = None
    telegram: TelegramSettings | None = None
    twilio: TwilioSettings | None = None
    sms_segment_budget: int = 3
    analytics_retention_days: int = 90
    analytics_spool_path: Path = DEFAULT_SPOOL_PATH
    analytics_spool_max_events: int = 100_000
    analytics_suppression_threshold: int = 5
    analytics_key_file: Path = DEFAULT_KEY_FILE
    subscriber_key: bytes | None = field(default=None, repr=False)
    broadcast_rates: dict[str, float] = field(default_factory=lambda: dict(BROADCAST_RATES))
    broadcast_in_flight: int = 16
    broadcast_stale_seconds: int = 30
    #: Rasa processes `serve` runs (Sanic workers on one port; more than one needs Redis).
    serve_workers: int = 1
    #: Replies per second: Telegram's per-bot limit, and each Twilio sender's pace.
    telegram_send_rate: float = 30.0
    twilio_send_rate: float = 10.0
    #: Seconds a process holds an inbox message without renewing before another may take it.
    inbox_lease_seconds: int = 30
    sms_price: float = 0.05
    whatsapp_price: float = 0.05
    broadcast_currency: str = "USD"
    dashboard_port: int | None = None
    dashboard_secret: bytes | None = field(default=None, repr=False)
    dashboard_key_file: Path = DEFAULT_DASHBOARD_KEY_FILE

    @property
    def channels(self) -> list[str]:
        """Return the enabled messaging channels, as `serve` reports them."""
        names = ["rest"]
        if self.telegram:
            names.append("telegram")
        if self.twilio:
            names.extend(f"twilio-{kind}" for kind in self.twilio.kinds)
        return names

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
        public_base_url = _url(env, "PUBLIC_BASE_URL", None)
        raw_key = env.get("PSEUDONYM_KEY") or None
        if raw_key is not None and len(raw_key) < MIN_PSEUDONYM_KEY_CHARS:
            raise SettingsError(
                f"PSEUDONYM_KEY must be at least {MIN_PSEUDONYM_KEY_CHARS} characters; make one "
                "with: python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        pseudonym_key = raw_key.encode() if raw_key else None
        dashboard_secret = env.get("DASHBOARD_SECRET") or None
        if dashboard_secret is not None and len(dashboard_secret) < MIN_PSEUDONYM_KEY_CHARS:
            raise SettingsError(
                f"DASHBOARD_SECRET must be at least {MIN_PSEUDONYM_KEY_CHARS} characters; make "
                "one with: python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        telegram = _telegram(env)
        twilio = _twilio(env)
        if (telegram or twilio) and pseudonym_key is None:
            raise SettingsError("PSEUDONYM_KEY is required when a messaging channel is enabled")
        if twilio and public_base_url is None:
            raise SettingsError("PUBLIC_BASE_URL is required when TWILIO_ACCOUNT_SID is set")
        return cls(
            default_language=default_language,
            content_dir=content_dir,
            content_max_age_days=_positive_int(env, "CONTENT_MAX_AGE_DAYS", 365),
            directory_max_age_days=_positive_int(env, "DIRECTORY_MAX_AGE_DAYS",
                                                  DIRECTORY_MAX_AGE_DAYS),
            redis_url=redis_url,
            tracker_record_exp=_positive_int(env, "TRACKER_RECORD_EXP", 3600),
            log_level=log_level,
            database_url=_database_url(env),
            pseudonym_key=pseudonym_key,
            public_base_url=public_base_url,
            telegram=telegram,
            twilio=twilio,
            sms_segment_budget=_positive_int(env, "SMS_SEGMENT_BUDGET", 3, maximum=10),
            analytics_retention_days=_positive_int(env, "ANALYTICS_RETENTION_DAYS", 90,
                                                   maximum=3650),
            analytics_spool_path=_file_path(env, "ANALYTICS_SPOOL_PATH", DEFAULT_SPOOL_PATH),
            analytics_spool_max_events=_positive_int(env, "ANALYTICS_SPOOL_MAX_EVENTS", 100_000,
                                                     maximum=10_000_000),
            analytics_suppression_threshold=_positive_int(
                env, "ANALYTICS_SUPPRESSION_THRESHOLD", 5, maximum=1000),
            analytics_key_file=_file_path(env, "ANALYTICS_KEY_FILE", DEFAULT_KEY_FILE),
            subscriber_key=_subscriber_key(env),
            broadcast_rates={
                "telegram": _rate(env, "BROADCAST_TELEGRAM_RATE", BROADCAST_RATES["telegram"]),
                "sms": _rate(env, "BROADCAST_SMS_MPS", BROADCAST_RATES["sms"]),
                "whatsapp": _rate(env, "BROADCAST_WHATSAPP_MPS", BROADCAST_RATES["whatsapp"]),
            },
            broadcast_in_flight=_positive_int(env, "BROADCAST_IN_FLIGHT", 16, maximum=256),
            broadcast_stale_seconds=_positive_int(env, "BROADCAST_WORKER_STALE_SECONDS", 30,
                                                  maximum=3600),
            serve_workers=_positive_int(env, "SERVE_WORKERS", 1, maximum=32),
            telegram_send_rate=_rate(env, "TELEGRAM_SEND_RATE", 30.0),
            twilio_send_rate=_rate(env, "TWILIO_SEND_MPS", 10.0),
            inbox_lease_seconds=_positive_int(env, "INBOX_LEASE_SECONDS", 30, maximum=3600),
            sms_price=_price(env, "BROADCAST_SMS_SEGMENT_PRICE", 0.05),
            whatsapp_price=_price(env, "BROADCAST_WHATSAPP_PRICE", 0.05),
            broadcast_currency=_currency(env),
            dashboard_port=(_positive_int(env, "DASHBOARD_PORT", 0, maximum=65535) or None),
            dashboard_secret=dashboard_secret.encode() if dashboard_secret else None,
            dashboard_key_file=_file_path(env, "DASHBOARD_KEY_FILE", DEFAULT_DASHBOARD_KEY_FILE),
        )


def _telegram(env: Mapping[str, str]) -> TelegramSettings | None:
    token = env.get("TELEGRAM_BOT_TOKEN") or None
    secret = env.get("TELEGRAM_WEBHOOK_SECRET") or None
    if secret is not None and not _TELEGRAM_SECRET.fullmatch(secret):
        raise SettingsError(
            "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    api = _url(env, "TELEGRAM_API_BASE_URL", "https://api.telegram.org")
    if token is None:
        return None
    if not _TELEGRAM_TOKEN.fullmatch(token):
        raise SettingsError("TELEGRAM_BOT_TOKEN must look like 123456:ABC-DEF... (from BotFather)")
    if secret is None:
        raise SettingsError("TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_BOT_TOKEN is set")
    return TelegramSettings(token=token, webhook_secret=secret, api_base_url=str(api))


def _twilio(env: Mapping[str, str]) -> TwilioSettings | None:
    sid = env.get("TWILIO_ACCOUNT_SID") or None
    token = env.get("TWILIO_AUTH_TOKEN") or None
    sms_from = env.get("TWILIO_SMS_FROM") or None
    whatsapp_from = env.get("TWILIO_WHATSAPP_FROM") or None
    api = _url(env, "TWILIO_API_BASE_URL", "https://api.twilio.com")
    if sms_from is not None and not (_E164.fullmatch(sms_from)
                                     or _MESSAGING_SERVICE.fullmatch(sms_from)):
        raise SettingsError("TWILIO_SMS_FROM must be a +E.164 number or a Messaging Service SID")
    if whatsapp_from is not None:
        number = whatsapp_from.removeprefix("whatsapp:")
        if not _E164.fullmatch(number):
            raise SettingsError("TWILIO_WHATSAPP_FROM must look like whatsapp:+E.164")
        whatsapp_from = f"whatsapp:{number}"
    if sid is None:
        return None
    if not _TWILIO_SID.fullmatch(sid):
        raise SettingsError("TWILIO_ACCOUNT_SID must be AC followed by 32 hexadecimal digits")
    if token is None:
        raise SettingsError("TWILIO_AUTH_TOKEN is required when TWILIO_ACCOUNT_SID is set")
    if not _TWILIO_TOKEN.fullmatch(token):
        raise SettingsError("TWILIO_AUTH_TOKEN must be 32 hexadecimal digits")
    if sms_from is None and whatsapp_from is None:
        raise SettingsError(
            "TWILIO_SMS_FROM or TWILIO_WHATSAPP_FROM is required when TWILIO_ACCOUNT_SID is set")
    return TwilioSettings(account_sid=sid, auth_token=token, sms_from=sms_from,
                          whatsapp_from=whatsapp_from, api_base_url=str(api))


def _subscriber_key(env: Mapping[str, str]) -> bytes | None:
    raw = env.get("SUBSCRIBER_KEY") or None
    if raw is None:
        return None
    from bot.subscriptions import valid_key

    if not valid_key(raw):
        raise SettingsError(
            "SUBSCRIBER_KEY must be a Fernet key (44 characters of URL-safe base64); make one "
            "with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'")
    return raw.encode()


def _number(env: Mapping[str, str], name: str, default: float, maximum: float,
            what: str) -> float:
    """Return the decimal number `name` (0 to `maximum`), `default` when absent."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be {what}") from None
    if not 0 <= value <= maximum:
        raise SettingsError(f"{name} must be between 0 and {maximum:g}")
    return value


def _rate(env: Mapping[str, str], name: str, default: float) -> float:
    """Return messages per second; 0 means no limit (for benchmarks against fakes)."""
    return _number(env, name, default, 10_000, "a number of messages per second (0: no limit)") \
        or float("inf")


def _price(env: Mapping[str, str], name: str, default: float) -> float:
    return _number(env, name, default, 99.99, "a decimal number")


def _currency(env: Mapping[str, str]) -> str:
    raw = (env.get("BROADCAST_CURRENCY") or "USD").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", raw):
        raise SettingsError("BROADCAST_CURRENCY must be a three-letter currency code")
    return raw


def _url(env: Mapping[str, str], name: str, default: str | None) -> str | None:
    raw = env.get(name) or None
    if raw is None:
        return default
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.query:
        raise SettingsError(f"{name} must be an http(s) URL with a host and no query")
    return raw.rstrip("/")


def _database_url(env: Mapping[str, str]) -> str:
    raw = env.get("DATABASE_URL") or None
    if raw is None:
        return DEFAULT_DATABASE_URL
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(raw)
    except ArgumentError:
        raise SettingsError("DATABASE_URL must be a database URL (sqlite:///..., "
                            "postgresql://...)") from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise SettingsError("DATABASE_URL must be a SQLite or PostgreSQL URL")
    return raw


def _file_path(env: Mapping[str, str], name: str, default: Path) -> Path:
    raw = env.get(name) or None
    if raw is None:
        return default
    path = Path(raw).expanduser()
    if path.is_dir():
        raise SettingsError(f"{name} must be a file path, not a directory")
    return path


def _positive_int(
    env: Mapping[str, str], name: str, default: int, maximum: int | None = None
) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive")
    if maximum is not None and value > maximum:
        raise SettingsError(f"{name} must be at most {maximum}")
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process's settings (the actions have no other way to receive them)."""
    return Settings.from_env()
