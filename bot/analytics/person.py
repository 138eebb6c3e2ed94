"""Person keys: how analytics tells people apart without knowing who they are.

A person key is `HMAC-SHA256(key, "analytics:" + conversation id)`, cut to 63 bits and stored
as an integer (unique counts over a million events run several times faster on integers; two
people in a million share a key with odds of about 1 in 10^7). For the
messaging channels the conversation id is already a keyed pseudonym ("tg-...", "sms-..."), and
the HMAC makes the analytics key a different string again, so the events cannot be joined with
the opt-out table or a tracker store; for REST clients, which send any id they like (possibly a
phone number), it is the only thing that keeps the id out of the database.

The key is `PSEUDONYM_KEY`. When it is unset (a local or REST-only installation, where the
channels that require it are off), the installation makes its own random key once and keeps it
in `ANALYTICS_KEY_FILE` (mode 0600, outside the database): counting works with no set-up and the
database alone still links no one. Setting `PSEUDONYM_KEY` later is a key rotation.

`key_id` is a fingerprint of the key (an HMAC of a constant, 32 bits): it tells reports which
key was in use without revealing it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

logger = logging.getLogger(__name__)


def person_key(key: bytes, conversation_id: str) -> int:
    """Return the person key of a conversation (a non-negative 63-bit integer)."""
    message = f"analytics:{conversation_id}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def key_id(key: bytes) -> str:
    """Return the fingerprint of `key` (8 hex digits)."""
    return hmac.new(key, b"migrant-bot analytics key id", hashlib.sha256).hexdigest()[:8]


def installation_key(path: Path) -> bytes:
    """Return the installation's own key from `path`, creating it (mode 0600) the first time."""
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = secrets.token_hex(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(descriptor, "w") as handle:
        handle.write(fresh + "\n")
    logger.info("analytics: PSEUDONYM_KEY is unset; made this installation's own key file")
    return bytes.fromhex(fresh)


def analytics_key(pseudonym_key: bytes | None, key_file: Path) -> bytes:
    """Return the key person keys are made with: PSEUDONYM_KEY, else the installation's."""
    return pseudonym_key if pseudonym_key else installation_key(key_file)
