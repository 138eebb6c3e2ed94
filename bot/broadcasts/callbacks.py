"""Twilio's status callbacks for broadcast messages, and counting who was reached.

The Twilio channel authenticates the callback (the same signature check as its webhook) and
hands the message SID, status and error code here. "delivered" (and WhatsApp's "read") moves
the outbox row to delivered and counts the person as reached; "undelivered" and "failed" move
it to failed, and when the code says the number cannot be reached at all, the subscription is
deleted and the opt-out recorded, as for a blocked bot on Telegram.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from bot.analytics.definitions import REACHED
from bot.analytics.service import Analytics
from bot.broadcasts import store
from bot.broadcasts.store import OutboxStore
from bot.optouts import OptOutStore
from bot.settings import Settings
from bot.subscriptions import SubscriptionStore

DELIVERED_STATUSES = frozenset({"delivered", "read"})
FAILED_STATUSES = frozenset({"undelivered", "failed"})


def record_reach(analytics: Analytics, topic: str, broadcast_id: int, person: str,
                 channel: str, language: str, country: str | None) -> None:
    """Count one delivered broadcast message (idempotent per person and broadcast)."""
    analytics.record_turn(person, channel=channel, language=language, country=country,
                          topic=f"broadcast_{topic}", outcome=REACHED,
                          message_id=f"broadcast:{broadcast_id}")


class DeliveryReports:
    """Apply delivery reports to the outbox."""

    def __init__(self, engine: Engine, settings: Settings,
                 analytics: Analytics | None = None) -> None:
        self.settings = settings
        self.outbox = OutboxStore(engine)
        self.optouts = OptOutStore(engine)
        self.subscriptions = (SubscriptionStore(engine, settings.subscriber_key)
                              if settings.subscriber_key else None)
        self._analytics = analytics

    @property
    def analytics(self) -> Analytics:
        """Open the analytics writer on first use."""
        if self._analytics is None:
            from bot.analytics import service

            self._analytics = service.current()
        return self._analytics

    def apply(self, sid: str, status: str, error_code: str | None, unreachable: bool) -> str:
        """Apply one report; return "unknown" (no such broadcast message), "applied" or
        "ignored" (an intermediate status, or a report already applied)."""
        row: dict[str, Any] | None = self.outbox.by_vendor_id(sid)
        if row is None:
            return "unknown"
        if status in DELIVERED_STATUSES:
            if not self.outbox.set_delivery(row["id"], store.DELIVERED):
                return "ignored"
            record_reach(self.analytics, row["topic"], row["broadcast_id"], row["person"],
                         row["channel"], row["language"], row["country"])
            return "applied"
        if status in FAILED_STATUSES:
            reason = f"twilio_{error_code}" if error_code else "twilio_failed"
            if not self.outbox.set_delivery(row["id"], store.FAILED, reason[:32]):
                return "ignored"
            if unreachable:
                if self.subscriptions is not None:
                    self.subscriptions.remove(row["person"])
                self.optouts.mark(row["person"], row["channel"], "undeliverable")
            return "applied"
        return "ignored"
