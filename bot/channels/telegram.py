"""Telegram, at POST /webhooks/telegram/webhook, on python-telegram-bot.

What it does that Rasa's built-in Telegram channel does not:

* 403 for a request without the right `X-Telegram-Bot-Api-Secret-Token` (constant-time check);
* each `update_id` handled once (the durable inbox's keyed hash of it), and the webhook
  answered as soon as the update is stored (the turn runs from the inbox), so Telegram has no
  reason to retry and a crash loses nothing;
* the conversation id is a keyed pseudonym of the chat; the chat id is used only to send;
* the user's `language_code` becomes the turn's language hint;
* commands: /start (greet; also undoes /stop), /help (menu), /language, /subscribe and
  /alerts (health alerts, after a consent sentence), /stop (opt out, ends any subscription),
  /delete (erase the conversation, then offer to clear the chat), /clear (delete this chat's
  messages, for people on shared phones; Telegram allows it for 48 hours). Any other text that
  starts with "/" is read as text;
* voice notes, photos, stickers, documents, contacts...: a short answer in the person's
  language that the assistant reads text; a location sets the country (the coordinates are
  not kept);
* numbered choices come as inline buttons as well; pressing one is the same as writing its
  number;
* `my_chat_member` "kicked" (the person blocked the bot) and a 403 on send are opt-outs;
  edited messages, group chats and other updates are acknowledged and not answered.

Message ids for /clear stay 48 hours at most, in memory (after a restart only newer messages
can be cleared) or, with `REDIS_URL`, in Redis, shared by every process.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError

from bot.channels.aiohttp_request import AiohttpRequest
from bot.channels.base import (
    CLEAR_CHAT,
    ChannelStats,
    Limiter,
    LimiterFactory,
    MessagingInput,
    PermanentFailure,
    Reply,
    RetryPolicy,
    TemporaryFailure,
    Unreachable,
    combine,
    command,
    local_limiter,
    phrase,
    run_turn,
    with_retries,
)
from bot.channels.geo import country_at
from bot.inbox import Taken
from bot.optouts import OptOutStore
from bot.pseudonym import pseudonym
from bot.settings import SUPPORTED_LANGUAGES, Settings, TelegramSettings
from bot.shared import RedisChatHistory
from bot.sms import split
from bot.text import neutralize_command_prefix

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_MESSAGE_CHARS = 4096
CLEAR_PAYLOAD = "chat:clear"
DELETABLE_SECONDS = 47 * 3600  # Telegram allows deleting for 48 h; keep a margin
#: When too many turns wait, Telegram is asked to deliver the update again after this long.
RETRY_AFTER_SECONDS = 5
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]

#: The channel's own commands and the Rasa intents they stand for.
COMMANDS = {
    "/start": "greet",
    "/help": "help",
    "/menu": "help",
    "/language": "choose_language",
    "/stop": "unsubscribe",
    "/delete": "delete_data",
    "/subscribe": "subscribe",
    "/alerts": "subscribe",
}
COMMAND_DESCRIPTIONS = {
    "start": "Start / Commencer / ابدأ / Empezar",
    "help": "Menu",
    "language": "Language / Langue / اللغة / Idioma",
    "subscribe": "Health alerts / Alertes santé / تنبيهات صحية / Alertas de salud",
    "stop": "Stop messages / Arrêter / إيقاف / Parar",
    "delete": "Delete my data / Effacer mes données / احذف بياناتي / Borrar mis datos",
    "clear": "Clear this chat / Effacer la discussion / امسح المحادثة / Borrar el chat",
}
MEDIA_KINDS = ("voice", "audio", "video_note", "video", "photo", "sticker", "animation",
               "document", "contact", "poll", "dice", "venue", "location")


class UpdateError(ValueError):
    """The update is not one Telegram would send; the message never holds user content."""


class Incoming:
    """What one update asks of the assistant, with the chat id kept only for the reply."""

    def __init__(
        self,
        chat_id: int,
        person: str,
        kind: str,
        *,
        text: str = "",
        message_id: int | None = None,
        callback_id: str | None = None,
        language_hint: str | None = None,
    ) -> None:
        self.chat_id = chat_id
        self.person = person
        self.kind = kind  # text | command | clear | blocked | unblocked
        self.text = text
        self.message_id = message_id
        self.callback_id = callback_id
        self.language_hint = language_hint


def parse_update(data: Any, key: bytes) -> Incoming | None:
    """Return what `data` (a decoded update) asks for, None for updates not answered."""
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise UpdateError("an update is a JSON object with an integer update_id")
    try:
        update = Update.de_json(data, None)
    except Exception:  # PTB raises KeyError/TypeError/ValueError on malformed objects
        raise UpdateError("the update could not be read") from None
    if update.my_chat_member is not None:
        chat = update.my_chat_member.chat
        if chat.type != "private":
            return None
        status = update.my_chat_member.new_chat_member.status
        kind = {"kicked": "blocked", "member": "unblocked"}.get(status)
        if kind is None:
            return None
        return Incoming(chat.id, pseudonym(key, "telegram", str(chat.id)), kind)
    if update.callback_query is not None:
        query = update.callback_query
        message = query.message
        if message is None or message.chat.type != "private":
            return None
        chat_id = message.chat.id
        person = pseudonym(key, "telegram", str(chat_id))
        hint = _hint(query.from_user.language_code if query.from_user else None)
        if query.data == CLEAR_PAYLOAD:
            return Incoming(chat_id, person, "clear", callback_id=query.id, language_hint=hint)
        return Incoming(chat_id, person, "text", text=neutralize_command_prefix(query.data or ""),
                        callback_id=query.id, language_hint=hint)
    message = update.message
    if message is None or message.chat.type != "private":
        return None  # edited messages, channel posts, groups: acknowledged, not answered
    chat_id = message.chat.id
    person = pseudonym(key, "telegram", str(chat_id))
    hint = _hint(message.from_user.language_code if message.from_user else None)
    base = {"message_id": message.message_id, "language_hint": hint}
    text = message.text or message.caption or ""
    if text.startswith("/"):
        name = text.split()[0].split("@")[0].lower()
        if name == "/clear":
            return Incoming(chat_id, person, "clear", **base)
        if name in COMMANDS:
            return Incoming(chat_id, person, "command", text=name, **base)
    if text.strip():
        return Incoming(chat_id, person, "text", text=neutralize_command_prefix(text), **base)
    if message.location is not None:
        country = country_at(message.location.latitude, message.location.longitude)
        forced = command("choose_country", country=country) if country else command(
            "choose_country")
        return Incoming(chat_id, person, "forced", text=forced, **base)
    media = next((kind for kind in MEDIA_KINDS if getattr(message, kind, None)), "other")
    return Incoming(chat_id, person, "forced", text=command("unsupported_media", media=media),
                    **base)


def _hint(code: str | None) -> str | None:
    language = (code or "").split("-")[0].lower()
    return language if language in SUPPORTED_LANGUAGES else None


class TelegramSender:
    """Send through the Bot API with python-telegram-bot: rate-limited, retried, classified."""

    def __init__(
        self,
        settings: TelegramSettings,
        stats: ChannelStats,
        *,
        rate: float = 30.0,
        policy: RetryPolicy | None = None,
        limiter: LimiterFactory = local_limiter,
    ) -> None:
        self.bot = Bot(
            settings.token,
            base_url=f"{settings.api_base_url}/bot",
            request=AiohttpRequest(connection_pool_size=64, read_timeout=15.0,
                                   connect_timeout=10.0),
        )
        self.stats = stats
        self.policy = policy or RetryPolicy()
        self._rate = rate
        self._make_limiter = limiter
        self._limiter: Limiter | None = None
        self._ready = False

    async def _call(self, method: Callable[[], Awaitable[Any]]) -> Any:
        if self._limiter is None:
            self._limiter = self._make_limiter("telegram", self._rate)
        if not self._ready:
            try:
                await self.bot.initialize()
            except InvalidToken:
                raise PermanentFailure("the bot token was rejected") from None
            self._ready = True

        limiter = self._limiter

        async def attempt() -> Any:
            await limiter.acquire()
            try:
                return await method()
            except RetryAfter as error:
                raise TemporaryFailure("429", _seconds(error.retry_after)) from None
            except Forbidden:
                raise Unreachable("blocked") from None
            except InvalidToken:
                raise PermanentFailure("the bot token was rejected") from None
            except BadRequest as error:
                raise PermanentFailure(f"bad request: {type(error).__name__}") from None
            except TelegramError as error:  # NetworkError, TimedOut, 5xx
                raise TemporaryFailure(_kind(error)) from None

        return await with_retries(attempt, self.policy, self.stats)

    async def send_text(
        self, chat_id: int, text: str, buttons: list[tuple[str, str]] | None = None
    ) -> int:
        """Send `text` (at most 4096 characters) with inline buttons; return its message id."""
        markup = None
        if buttons:
            markup = InlineKeyboardMarkup(
                [[InlineKeyboardButton(title[:64], callback_data=payload[:64])]
                 for title, payload in buttons]
            )
        message = await self._call(
            lambda: self.bot.send_message(chat_id, text, reply_markup=markup))
        self.stats.sent += 1
        return int(message.message_id)

    async def answer_callback(self, callback_id: str) -> None:
        """Stop the button's spinner."""
        await self._call(lambda: self.bot.answer_callback_query(callback_id))

    async def delete(self, chat_id: int, message_ids: list[int]) -> None:
        """Delete messages of this chat, 100 at a time."""
        for start in range(0, len(message_ids), 100):
            batch = message_ids[start:start + 100]
            await self._call(lambda batch=batch: self.bot.delete_messages(chat_id, batch))

    async def set_webhook(self, url: str, secret: str) -> None:
        """Register the webhook with its secret token, and the command menu."""
        await self._call(lambda: self.bot.set_webhook(
            url, secret_token=secret, allowed_updates=ALLOWED_UPDATES))
        await self._call(lambda: self.bot.set_my_commands(
            [BotCommand(name, description) for name, description in COMMAND_DESCRIPTIONS.items()]))

    async def close(self) -> None:
        """Close the HTTP connections."""
        if self._ready:
            await self.bot.shutdown()


def _kind(error: TelegramError) -> str:
    """Return the error's class, and the transport's for a network error (never its text,
    which may hold the URL and so the token)."""
    cause = re.match(r"aiohttp\.(\w+)", str(error))
    return f"{type(error).__name__} ({cause.group(1)})" if cause else type(error).__name__


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class ChatHistory:
    """Message ids of each chat, by pseudonym, for /clear; 48 hours, in memory.

    With `REDIS_URL` the channel uses `bot.shared.RedisChatHistory`, the same methods.
    """

    def __init__(self, per_chat: int = 300, chats: int = 50_000) -> None:
        self.per_chat = per_chat
        self.chats = chats
        self._ids: OrderedDict[str, deque[tuple[int, float]]] = OrderedDict()

    async def add(self, person: str, message_id: int) -> None:
        """Remember a message of this chat."""
        ids = self._ids.setdefault(person, deque(maxlen=self.per_chat))
        self._ids.move_to_end(person)
        ids.append((message_id, time.monotonic()))
        while len(self._ids) > self.chats:
            self._ids.popitem(last=False)

    async def take(self, person: str) -> list[int]:
        """Return and forget the ids that may still be deleted."""
        now = time.monotonic()
        return [mid for mid, at in self._ids.pop(person, ()) if now - at < DELETABLE_SECONDS]


class TelegramInput(MessagingInput):
    """Rasa input channel for Telegram."""

    def __init__(
        self,
        settings: Settings,
        sender: TelegramSender | None = None,
        optouts: OptOutStore | None = None,
    ) -> None:
        if settings.telegram is None or settings.pseudonym_key is None:
            raise ValueError("Telegram is not configured")
        logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs URLs holding the token
        logging.getLogger("telegram").setLevel(logging.WARNING)
        super().__init__(settings, optouts)
        self.key = settings.pseudonym_key
        self.secret = settings.telegram.webhook_secret.encode()
        # The bot's limit (30 messages/s) is shared by the Rasa processes `serve --workers` runs.
        self.sender = sender or TelegramSender(
            settings.telegram, self.stats,
            rate=self.send_rate(settings.telegram_send_rate), limiter=self.make_limiter)
        self._history: Any = None

    @classmethod
    def name(cls) -> str:
        """Serve at /webhooks/telegram/."""
        return "telegram"

    @property
    def history(self) -> Any:
        """Return the chats' message ids for /clear (Redis or this process)."""
        if self._history is None:
            self._history = (RedisChatHistory(self.redis) if self.settings.redis_url
                             else ChatHistory())
        return self._history

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """Return the webhook routes."""
        webhook = Blueprint("telegram_webhook", __name__)
        self.add_health_and_shutdown(webhook, self.sender.close, on_new_message)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            given = (request.headers.get(SECRET_HEADER) or "").encode()
            if not hmac.compare_digest(given, self.secret):
                self.stats.forbidden += 1
                return response.json({"error": "forbidden"}, status=403)
            try:
                data = request.json
            except Exception:  # sanic raises InvalidUsage on bad JSON
                data = None
            try:
                incoming = parse_update(data, self.key)
            except UpdateError as error:
                self.stats.malformed += 1
                return response.json({"error": str(error)}, status=400)
            if incoming is None:
                return response.json({"ok": True})  # acknowledged, not answered
            if self.full:
                # Not stored, so that Telegram's redelivery is answered.
                self.stats.deferred += 1
                return response.json({"error": "busy"}, status=503,
                                     headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
            self.start_worker(on_new_message)
            try:
                added = await self.accept(f"update:{data['update_id']}", incoming.person,
                                          vars(incoming))
            except Exception as error:  # the database is unreachable: Telegram retries
                logger.error("inbox: an update was not stored (%s)", type(error).__name__)
                self.stats.deferred += 1
                return response.json({"error": "unavailable"}, status=503,
                                     headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
            if not added:
                self.stats.duplicates += 1
                return response.json({"ok": True, "duplicate": True})
            self.stats.received += 1
            return response.json({"ok": True})

        return webhook

    async def process(
        self, taken: Taken, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        """Answer one update from the inbox, or finish an answer a dead process started."""
        assert taken.message is not None
        incoming = Incoming(**taken.message)
        await self.in_order(incoming.person, "telegram",
                            lambda: self._handle(taken, incoming, on_new_message))

    async def _handle(
        self, taken: Taken, incoming: Incoming,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        person = incoming.person
        plan = taken.plan
        fresh = plan is None
        if fresh and incoming.callback_id:
            try:
                await self.sender.answer_callback(incoming.callback_id)
            except (TemporaryFailure, PermanentFailure):
                pass  # the spinner stops by itself; the answer matters more
        if incoming.kind == "blocked":
            self.stats.unreachable += 1
            await self.opt_out(person, "telegram", "blocked")
            return
        if incoming.kind == "unblocked":
            return
        if fresh and incoming.message_id is not None:
            await self.history.add(person, incoming.message_id)
        if incoming.kind == "clear":
            await self.sender.delete(incoming.chat_id, await self.history.take(person))
            return
        if plan is None:
            text = incoming.text
            if incoming.kind == "command":
                intent = COMMANDS[text]
                if intent == "unsubscribe":
                    await self.opt_out(person, "telegram", "stop")
                elif intent == "greet":
                    await self.opt_in(person)
                text = command(intent)
            metadata = ({"language_hint": incoming.language_hint} if incoming.language_hint
                        else {})
            replies = await run_turn(on_new_message, text, person, self.name(), metadata)
            await self.after_turn(person, "telegram", str(incoming.chat_id), replies)
            plan = self.plan(replies)

        async def send(item: dict[str, Any]) -> None:
            buttons = [(str(title), str(payload)) for title, payload in item["buttons"]]
            message_id = await self.sender.send_text(incoming.chat_id, item["text"],
                                                     buttons or None)
            await self.history.add(person, message_id)

        await self.run_plan(taken, plan, fresh, send)

    @staticmethod
    def plan(replies: list[Reply]) -> dict[str, Any]:
        """Return the sends of a turn's replies, in order; a delete confirmation offers to
        clear the chat.

        Replies are combined (`combine`): an answer and the question after it go as one
        message with the question's buttons.
        """
        sends: list[dict[str, Any]] = []
        for reply in combine(replies):
            buttons = list(reply.buttons)
            if reply.forget:
                buttons.append((phrase(CLEAR_CHAT, reply.language), CLEAR_PAYLOAD))
            parts = split(reply.text, lambda part: len(part) <= MAX_MESSAGE_CHARS) or [""]
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                sends.append({"text": part or "…", "buttons": buttons if last else []})
        return {"sends": sends, "urgent": any(reply.urgent for reply in replies)}
