"""Keyed pseudonyms: the only way a person is known past the channel edge.

`pseudonym(key, channel, address)` is an HMAC-SHA256 of the channel and the raw address (a
Telegram chat id, a phone number) under `PSEUDONYM_KEY`, which lives in the environment and never
in a store. Without the key a pseudonym cannot be linked back to a number, and a number cannot be
checked against a list of pseudonyms. The same person on SMS and on WhatsApp gets two pseudonyms:
the channels do not share who their users are.

Rotating the key starts every person afresh (new conversation, new pseudonym); do it at the
start of a reporting period.
"""

from __future__ import annotations

import hashlib
import hmac

PREFIXES = {"telegram": "tg", "sms": "sms", "whatsapp": "wa"}


def pseudonym(key: bytes, channel: str, address: str) -> str:
    """Return the keyed pseudonym of `address` on `channel`, e.g. "tg-3f1c...".

    The prefix says which channel the person uses (the analytics break down by channel); the
    32 hex digits (128 bits) are the first half of the HMAC.
    """
    digest = hmac.new(key, f"{channel}:{address}".encode(), hashlib.sha256).hexdigest()
    return f"{PREFIXES.get(channel, channel)}-{digest[:32]}"
