"""The broadcast worker: send what the outbox holds, once, at the configured rates.

Each channel (Telegram, SMS, WhatsApp) is sent in parallel, in windows of at most
`BROADCAST_IN_FLIGHT` sends: claim a window (its rows become `started`, committed), look up
the addresses (decrypted only now, kept only in this window), send them concurrently through
the channels' own senders (rate limits, 429 `retry_after`, backoff on network errors and 5xx),
then record every result in one transaction. A kill at any moment leaves at most one window
per channel `started`; those become `uncertain` once the worker's heartbeat is stale, and are
never resent unless the operator asks. See `bot.broadcasts.store`.

Before each send the worker checks that the person is still subscribed and not opted out: an
opt-out in the middle of a broadcast is respected from the next window on. A platform that
says the person is unreachable (Telegram 403, Twilio 21610 and kin) removes the subscription
and records an opt-out, like the channels do.

Delivered messages count into the analytics as "people reached by broadcast": Telegram's
success means the message is in the chat; Twilio's delivery comes later, by status callback
(`bot.broadcasts.callbacks`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.analytics.service import Analytics
from bot.broadcasts import store
from bot.broadcasts.callbacks import record_reach
from bot.broadcasts.store import OutboxStore, Recipient, Result
from bot.channels.base import (
    ChannelStats,
    PermanentFailure,
    RetryPolicy,
    TemporaryFailure,
    Unreachable,
)
from bot.optouts import OptOutStore
from bot.settings import Settings
from bot.sms import segments
from bot.subscriptions import CHANNELS, SubscriptionError, SubscriptionStore

logger = logging.getLogger(__name__)

#: Seconds between heartbeats (at most); a worker silent for BROADCAST_WORKER_STALE_SECONDS
#: counts as dead.
HEARTBEAT_SECONDS = 2.0


class Senders:
    """The vendors' senders, built on first use from the settings (one per vendor)."""

    def __init__(self, settings: Settings, policy: RetryPolicy | None = None) -> None:
        self.settings = settings
        self.stats = ChannelStats()
        self.policy = policy or RetryPolicy()
        self._telegram: Any = None
        self._twilio: dict[str, Any] = {}

    def telegram(self) -> Any:
        """Return the Telegram sender, or None when Telegram is not configured."""
        if self._telegram is None and self.settings.telegram is not None:
            from bot.channels.telegram import TelegramSender

            self._telegram = TelegramSender(
                self.settings.telegram, self.stats,
                rate=self.settings.broadcast_rates["telegram"], policy=self.policy)
        return self._telegram

    def twilio(self, channel: str) -> Any:
        """Return the Twilio sender of `channel`, or None when it is not configured.

        One sender (and rate limiter) per kind: SMS and WhatsApp have their own MPS.
        """
        twilio = self.settings.twilio
        if twilio is None or channel not in twilio.kinds:
            return None
        if channel not in self._twilio:
            from bot.channels.twilio import TwilioSender

            self._twilio[channel] = TwilioSender(
                twilio, self.stats, rate=self.settings.broadcast_rates[channel],
                policy=self.policy)
        return self._twilio[channel]

    async def close(self) -> None:
        """Close every HTTP session."""
        if self._telegram is not None:
            await self._telegram.close()
        for sender in self._twilio.values():
            await sender.close()


@dataclass
class Progress:
    """What a run did; `on_step` is called with the number of rows finished each window."""

    done: int = 0
    on_step: Callable[[int], None] | None = None

    def step(self, number: int) -> None:
        """Count `number` finished rows."""
        self.done += number
        if self.on_step is not None and number:
            self.on_step(number)


class BroadcastWorker:
    """Send queued broadcasts; several workers may share one (PostgreSQL) database."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        senders: Senders | None = None,
        analytics: Analytics | None = None,
        in_flight: int | None = None,
        heartbeat_seconds: float | None = None,
        stale_seconds: float | None = None,
    ) -> None:
        if settings.subscriber_key is None:
            raise ValueError("broadcasts need SUBSCRIBER_KEY")
        self.settings = settings
        self.outbox = OutboxStore(engine)
        self.subscriptions = SubscriptionStore(engine, settings.subscriber_key)
        self.optouts = OptOutStore(engine)
        self.senders = senders or Senders(settings)
        self._analytics = analytics
        self.in_flight = in_flight or settings.broadcast_in_flight
        self.stale_seconds = float(stale_seconds or settings.broadcast_stale_seconds)
        self.heartbeat_seconds = heartbeat_seconds or min(HEARTBEAT_SECONDS,
                                                          self.stale_seconds / 4)
        self.id = uuid.uuid4().hex[:16]
        self._stop = asyncio.Event()

    @property
    def analytics(self) -> Analytics:
        """Open the analytics writer on first use."""
        if self._analytics is None:
            self._analytics = Analytics.from_settings(self.settings)
        return self._analytics

    async def send(self, broadcast_id: int, progress: Progress | None = None,
                   wait_scheduled: bool = True, stop: asyncio.Event | None = None) -> str:
        """Send one broadcast to the end, until cancelled, or until `stop` is set (the
        windows in flight are finished and recorded first); return its state."""
        progress = progress or Progress()
        self._stop = stop or asyncio.Event()
        beating = asyncio.create_task(self._heartbeat())
        try:
            await asyncio.to_thread(self.outbox.heartbeat, self.id)
            return await self._send(broadcast_id, progress, wait_scheduled)
        finally:
            beating.cancel()
            await asyncio.to_thread(self.outbox.retire, self.id)
            await self.close()

    async def run(self, stop: asyncio.Event, poll_seconds: float = 2.0) -> None:
        """Send every due broadcast, again and again, until `stop` is set."""
        self._stop = stop
        beating = asyncio.create_task(self._heartbeat())
        try:
            await asyncio.to_thread(self.outbox.heartbeat, self.id)
            while not stop.is_set():
                try:
                    for broadcast_id in await asyncio.to_thread(self.outbox.due, store.now()):
                        await self._send(broadcast_id, Progress(), wait_scheduled=False)
                except SQLAlchemyError as error:  # the database is away: try again later
                    logger.warning("broadcast worker: database unavailable (%s)",
                                   type(error).__name__)
                try:
                    await asyncio.wait_for(stop.wait(), poll_seconds)
                except asyncio.TimeoutError:
                    pass
        finally:
            beating.cancel()
            await asyncio.to_thread(self.outbox.retire, self.id)
            await self.close()

    async def close(self) -> None:
        """Close the senders and write the queued analytics events."""
        await self.senders.close()
        if self._analytics is not None:
            await asyncio.to_thread(self._analytics.recorder.flush)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                await asyncio.to_thread(self.outbox.heartbeat, self.id)
            except Exception as error:  # a database hiccup must not stop the sends
                logger.warning("broadcast worker heartbeat failed: %s", type(error).__name__)

    async def _send(self, broadcast_id: int, progress: Progress, wait_scheduled: bool) -> str:
        row = await asyncio.to_thread(self.outbox.broadcast, broadcast_id)
        if row is None:
            raise ValueError(f"no broadcast {broadcast_id}")
        while row["state"] == store.SCHEDULED and wait_scheduled and not self._stop.is_set():
            delay = (row["scheduled_at"] - store.now()).total_seconds()
            if delay <= 0:
                await asyncio.to_thread(self.outbox.set_state, broadcast_id, store.SENDING)
            else:
                await asyncio.sleep(min(delay, 5.0))
            row = await asyncio.to_thread(self.outbox.broadcast, broadcast_id)
            assert row is not None
        if row["state"] != store.SENDING:
            return str(row["state"])
        while not self._stop.is_set():
            await asyncio.to_thread(self.outbox.recover, self.stale_seconds)
            await asyncio.gather(*(self._send_channel(row, channel, progress)
                                   for channel in CHANNELS))
            state = await asyncio.to_thread(self._state, broadcast_id)
            if state != store.SENDING:
                return state
            if await asyncio.to_thread(self.outbox.finish_if_done, broadcast_id):
                return store.DONE
            # Rows another (or a dead) worker holds: wait for them, or for the stale limit.
            await asyncio.sleep(min(1.0, self.stale_seconds / 4))
        return await asyncio.to_thread(self._state, broadcast_id)

    def _state(self, broadcast_id: int) -> str:
        row = self.outbox.broadcast(broadcast_id)
        return str(row["state"]) if row else store.CANCELLED

    async def _send_channel(self, row: dict[str, Any], channel: str, progress: Progress) -> None:
        broadcast_id = row["id"]
        while not self._stop.is_set():
            if await asyncio.to_thread(self._state, broadcast_id) != store.SENDING:
                return
            window = await asyncio.to_thread(self.outbox.claim, broadcast_id, self.id, channel,
                                             self.in_flight)
            if not window:
                return
            results = await self._send_window(row, window)
            await asyncio.to_thread(self.outbox.record, results)
            self._count_reach(row, window, results)
            progress.step(len(results))

    async def _send_window(self, row: dict[str, Any], window: list[Recipient]) -> list[Result]:
        persons = [recipient.person for recipient in window]
        try:
            addresses = await asyncio.to_thread(self.subscriptions.addresses, persons)
        except SubscriptionError as error:  # SUBSCRIBER_KEY changed since they subscribed
            logger.error("broadcast: %s", error)
            return [Result(recipient.id, store.FAILED, "address_key") for recipient in window]
        opted_out = await asyncio.to_thread(self.optouts.opted_out, persons)
        tasks = []
        for recipient in window:
            if recipient.person in opted_out:
                tasks.append(_done(Result(recipient.id, store.SKIPPED, "opted_out")))
            elif recipient.person not in addresses:
                tasks.append(_done(Result(recipient.id, store.SKIPPED, "unsubscribed")))
            else:
                tasks.append(self._send_one(row, recipient, addresses[recipient.person]))
        return list(await asyncio.gather(*tasks))

    async def _send_one(self, row: dict[str, Any], recipient: Recipient, address: str) -> Result:
        text = row["texts"].get(recipient.language)
        if text is None:
            return Result(recipient.id, store.SKIPPED, "no_text")
        try:
            if recipient.channel == "telegram":
                sender = self.senders.telegram()
                if sender is None:
                    return Result(recipient.id, store.FAILED, "channel_off")
                await sender.send_text(int(address), text)
                return Result(recipient.id, store.DELIVERED)
            sender = self.senders.twilio(recipient.channel)
            if sender is None:
                return Result(recipient.id, store.FAILED, "channel_off")
            twilio = self.settings.twilio
            assert twilio is not None
            callback = (f"{self.settings.public_base_url}/webhooks/twilio/status"
                        if self.settings.public_base_url else None)
            if recipient.channel == "whatsapp":
                template = row["templates"].get(recipient.language)
                if template is None:  # queue() refuses this; a template removed since
                    return Result(recipient.id, store.FAILED, "no_template")
                sid = await sender.send(address, str(twilio.whatsapp_from),
                                        content_sid=template["content_sid"],
                                        content_variables=template.get("variables") or None,
                                        status_callback=callback)
            else:
                sid = await sender.send(address, str(twilio.sms_from), text,
                                        status_callback=callback, weight=segments(text))
            return Result(recipient.id, store.SENT, vendor_id=sid)
        except Unreachable:
            await asyncio.to_thread(self._unreachable, recipient)
            return Result(recipient.id, store.FAILED, "unreachable")
        except PermanentFailure as failure:
            logger.warning("a broadcast send was refused: %s", failure)
            return Result(recipient.id, store.FAILED, "refused")
        except TemporaryFailure as failure:
            logger.warning("a broadcast send failed after retries: %s", failure)
            return Result(recipient.id, store.FAILED, "gave_up")

    def _unreachable(self, recipient: Recipient) -> None:
        self.subscriptions.remove(recipient.person)
        reason = "blocked" if recipient.channel == "telegram" else "undeliverable"
        self.optouts.mark(recipient.person, recipient.channel, reason)

    def _count_reach(self, row: dict[str, Any], window: list[Recipient],
                     results: list[Result]) -> None:
        delivered = {result.id for result in results if result.state == store.DELIVERED}
        for recipient in window:
            if recipient.id in delivered:
                record_reach(self.analytics, row["topic"], row["id"], recipient.person,
                             recipient.channel, recipient.language, recipient.country)


async def _done(result: Result) -> Result:
    return result
