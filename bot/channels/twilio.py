"""SMS and WhatsApp through Twilio, at POST /webhooks/twilio/webhook, on the twilio library.

What it does that Rasa's built-in Twilio channel does not:

* 403 for a request whose `X-Twilio-Signature` does not validate (twilio's `RequestValidator`,
  against `PUBLIC_BASE_URL` + the path, so it works behind a proxy), or for another account;
* each `MessageSid` handled once (the durable inbox's keyed hash of it); the webhook is
  answered with empty TwiML as soon as the message is stored, and the answer is sent through
  the REST API (async client) from the inbox, so Twilio's 15-second limit is never at risk, a
  send error never becomes a webhook error and a crash loses nothing;
* the conversation id is a keyed pseudonym of "sms" or "whatsapp" plus the number;
* media without text (voice notes, photos...): a short answer in the person's language; a
  WhatsApp location sets the country (the coordinates are not kept);
* carrier keywords keep their fixed meaning, whatever the language of the conversation:
  STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT opt out (and get a confirmation, which
  Twilio may replace with its own); START and UNSTOP undo that and greet; HELP and INFO show the
  menu. "YES" is not START here: it answers the assistant's questions;
* SMS answers stay within `SMS_SEGMENT_BUDGET` segments (GSM-7 160/153, UCS-2 70/67), cut
  at a sentence boundary (never inside a word or a URL) with "Reply MORE for the rest" in the
  person's language; MORE (PLUS, MAS, المزيد) sends the next part. WhatsApp gets every reply
  as its own message (cut at 1,600 characters, Twilio's limit);
* a send refused with 21610 (the person sent STOP to the carrier) is an opt-out.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channels.base import (
    MORE_HINT,
    ChannelStats,
    Limiter,
    LimiterFactory,
    MessagingInput,
    PermanentFailure,
    Reply,
    RetryPolicy,
    TemporaryFailure,
    Unreachable,
    command,
    is_more,
    local_limiter,
    phrase,
    run_turn,
    with_retries,
)
from bot.channels.geo import country_at
from bot.inbox import Taken
from bot.optouts import OptOutStore
from bot.pseudonym import pseudonym
from bot.settings import Settings, TwilioSettings
from bot.sms import fit_budget, gsm_fold, split
from bot.text import neutralize_command_prefix

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
#: The answer when too many turns are waiting (see `Background`); it fits one GSM-7 segment pair.
BUSY_TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
              "Too many messages right now, please write again in a few minutes. / "
              "Trop de messages, reecrivez dans quelques minutes. / "
              "Demasiados mensajes, escriba de nuevo en unos minutos."
              "</Message></Response>")
WHATSAPP_MAX_CHARS = 1600
#: A status callback can arrive before the broadcast worker has recorded the send it reports
#: on; it is tried again this often, this far apart.
REPORT_ATTEMPTS = 20
REPORT_RETRY_SECONDS = 0.5
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
#: Twilio error codes, returned by a send, that mean the person cannot be messaged on this
#: number: STOP sent to the carrier, not a valid number, not a mobile number.
UNREACHABLE_CODES = frozenset({21610, 21211, 21614})
#: Codes of a status callback's ErrorCode that mean the same: an unknown or inactive number, a
#: landline, an address WhatsApp does not know. 30003 (handset unreachable: switched off, out
#: of coverage) is a failure but not a reason to drop the person.
UNDELIVERABLE_CODES = UNREACHABLE_CODES | frozenset({30005, 30006, 63003})
#: Error codes worth another try: queue overflow and rate limits.
TEMPORARY_CODES = frozenset({20429, 30001, 14107})

_last_headers: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "twilio_last_headers", default=None)


class RequestError(ValueError):
    """The webhook request is not one Twilio sends; the message never holds user content."""


class Incoming:
    """One inbound SMS or WhatsApp message; the address is kept only to reply."""

    def __init__(self, kind: str, address: str, reply_from: str, person: str, text: str,
                 more: bool = False, opt: str | None = None) -> None:
        self.kind = kind  # "sms" | "whatsapp"
        self.address = address
        self.reply_from = reply_from
        self.person = person
        self.text = text
        self.more = more
        self.opt = opt  # "out" | "in" | None


def keyword(body: str) -> str:
    """Return the carrier keyword `body` is, upper case, or "" ("Stop." is STOP)."""
    word = body.strip().strip(".!").upper()
    return word if word in STOP_WORDS | START_WORDS | HELP_WORDS else ""


def parse_form(form: Any, settings: Settings) -> Incoming:
    """Read a validated webhook's form; raise RequestError when a field is missing."""
    twilio = settings.twilio
    assert twilio is not None and settings.pseudonym_key is not None

    def field(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    sender, message_sid = field("From"), field("MessageSid") or field("SmsSid")
    if not sender or not message_sid:
        raise RequestError("From and MessageSid are required")
    kind = "whatsapp" if sender.startswith("whatsapp:") else "sms"
    reply_from = (twilio.whatsapp_from if kind == "whatsapp" else twilio.sms_from) or field("To")
    if not reply_from:
        raise RequestError("To is required")
    person = pseudonym(settings.pseudonym_key, kind, sender.removeprefix("whatsapp:"))
    body = field("Body")
    incoming = Incoming(kind, sender, reply_from, person, "")
    word = keyword(body)
    if word in STOP_WORDS:
        incoming.text, incoming.opt = command("unsubscribe"), "out"
    elif word in START_WORDS:
        incoming.text, incoming.opt = command("greet"), "in"
    elif word in HELP_WORDS:
        incoming.text = command("help")
    elif body.strip():
        incoming.text = neutralize_command_prefix(body)
        incoming.more = is_more(body)
    elif field("Latitude") and field("Longitude"):
        try:
            country = country_at(float(field("Latitude")), float(field("Longitude")))
        except ValueError:
            country = None
        incoming.text = (command("choose_country", country=country) if country
                         else command("choose_country"))
    else:
        media = _media_kind(field("MediaContentType0")) if field("NumMedia") not in ("", "0") \
            else "empty"
        incoming.text = command("unsupported_media", media=media)
    return incoming


def _media_kind(content_type: str) -> str:
    major = content_type.split("/")[0].lower()
    return {"audio": "voice", "image": "photo", "video": "video"}.get(major, "document")


def read_form(request: Request) -> RequestParameters:
    """Return the form with its blank fields (Twilio signs "Body=" too; Sanic drops it)."""
    if not request.content_type.startswith("application/x-www-form-urlencoded"):
        return RequestParameters()
    body = (request.body or b"").decode("utf-8", errors="replace")
    return RequestParameters(parse_qs(body, keep_blank_values=True))


class HeaderKeepingHttpClient(AsyncTwilioHttpClient):
    """twilio's async client, keeping the last response's headers (for Retry-After)."""

    async def request(self, *args: Any, **kwargs: Any) -> Response:
        """Make the request and remember its headers in this task's context."""
        reply = await super().request(*args, **kwargs)
        _last_headers.set({str(k).lower(): str(v) for k, v in (reply.headers or {}).items()})
        return reply


class TwilioSender:
    """Send SMS and WhatsApp messages with twilio's async client: rate-limited and retried."""

    def __init__(
        self,
        settings: TwilioSettings,
        stats: ChannelStats,
        *,
        rate: float = 10.0,
        policy: RetryPolicy | None = None,
        limiter: LimiterFactory = local_limiter,
    ) -> None:
        self.settings = settings
        self.stats = stats
        self.policy = policy or RetryPolicy()
        self._rate = rate
        self._make_limiter = limiter
        self._limiters: dict[str, Limiter] = {}
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        """Create the client inside the running event loop (aiohttp needs one)."""
        if self._client is None:
            http = HeaderKeepingHttpClient(timeout=15.0)
            self._client = Client(self.settings.account_sid, self.settings.auth_token,
                                  http_client=http)
            self._client.api.base_url = self.settings.api_base_url
        return self._client

    async def send(
        self,
        to: str,
        sender: str,
        body: str = "",
        *,
        content_sid: str | None = None,
        content_variables: dict[str, str] | None = None,
        status_callback: str | None = None,
        weight: float = 1.0,
    ) -> str:
        """Send `body` (or a content template) to `to` from `sender`; return the message SID.

        `sender` is a number or a Messaging Service. `weight` is what the send costs against
        the sender's rate (an SMS's segments count against its MPS).
        """
        if sender not in self._limiters:
            self._limiters[sender] = self._make_limiter(f"twilio:{sender}", self._rate)
        limiter = self._limiters[sender]
        params: dict[str, Any] = {"to": to}
        if content_sid:
            params["content_sid"] = content_sid
            if content_variables:
                params["content_variables"] = json.dumps(content_variables, ensure_ascii=False)
        else:
            params["body"] = body
        if status_callback:
            params["status_callback"] = status_callback
        if sender.startswith("MG"):
            params["messaging_service_sid"] = sender
        else:
            params["from_"] = sender

        async def attempt() -> str:
            await limiter.acquire(weight)
            try:
                message = await self.client.messages.create_async(**params)
            except TwilioRestException as error:
                raise _classify(error) from None
            except (asyncio.TimeoutError, OSError) as error:
                raise TemporaryFailure(type(error).__name__) from None
            except Exception as error:  # aiohttp.ClientError and kin: network trouble
                if type(error).__module__.startswith("aiohttp"):
                    raise TemporaryFailure(type(error).__name__) from None
                raise
            return str(message.sid)

        sid = await with_retries(attempt, self.policy, self.stats)
        self.stats.sent += 1
        return sid

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._client is not None:
            await self._client.http_client.close()


def _classify(error: TwilioRestException) -> Exception:
    code = error.code or 0
    if code in UNREACHABLE_CODES:
        return Unreachable(str(code))
    if error.status == 429 or code in TEMPORARY_CODES:
        retry_after = (_last_headers.get() or {}).get("retry-after")
        try:
            seconds = float(retry_after) if retry_after else None
        except ValueError:
            seconds = None
        return TemporaryFailure(f"{error.status}/{code}", seconds)
    if error.status >= 500:
        return TemporaryFailure(f"{error.status}/{code}")
    return PermanentFailure(f"{error.status}/{code}")


class TwilioInput(MessagingInput):
    """Rasa input channel for Twilio SMS and WhatsApp."""

    unreachable_reason = "undeliverable"

    def __init__(
        self,
        settings: Settings,
        sender: TwilioSender | None = None,
        optouts: OptOutStore | None = None,
    ) -> None:
        if not (settings.twilio and settings.pseudonym_key and settings.public_base_url):
            raise ValueError("Twilio is not configured")
        logging.getLogger("twilio").setLevel(logging.WARNING)  # it logs requests at INFO
        super().__init__(settings, optouts)
        self.twilio = settings.twilio
        self.validator = RequestValidator(settings.twilio.auth_token)
        self.sender = sender or TwilioSender(
            settings.twilio, self.stats, rate=self.send_rate(settings.twilio_send_rate),
            limiter=self.make_limiter)
        self._reports: Any = None

    @classmethod
    def name(cls) -> str:
        """Serve at /webhooks/twilio/."""
        return "twilio"

    def signed_url(self, request: Request) -> str:
        """Return the URL Twilio signed: the public base URL, the path and the query."""
        url = f"{self.settings.public_base_url}{request.path}"
        return f"{url}?{request.query_string}" if request.query_string else url

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """Return the webhook routes."""
        webhook = Blueprint("twilio_webhook", __name__)
        self.add_health_and_shutdown(webhook, self.sender.close, on_new_message)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            form = read_form(request)
            if not self.authentic(request, form):
                self.stats.forbidden += 1
                return response.text("forbidden", status=403)
            try:
                incoming = parse_form(form, self.settings)
            except RequestError as error:
                self.stats.malformed += 1
                return response.text(str(error), status=400)
            if self.full and incoming.opt is None:
                # Twilio does not deliver a message twice, so ask the person to resend; an
                # opt-out or opt-in still goes through.
                self.stats.deferred += 1
                return response.text(BUSY_TWIML, content_type="text/xml")
            sid = form.get("MessageSid") or form.get("SmsSid")
            self.start_worker(on_new_message)
            try:
                added = await self.accept(f"message:{sid}", incoming.person, vars(incoming))
            except Exception as error:  # the database is unreachable: ask for the message again
                logger.error("inbox: a message was not stored (%s)", type(error).__name__)
                self.stats.deferred += 1
                return response.text(BUSY_TWIML, content_type="text/xml")
            if added:
                self.stats.received += 1
            else:
                self.stats.duplicates += 1
            return response.text(EMPTY_TWIML, content_type="text/xml")

        @webhook.route("/status", methods=["POST"])
        async def status(request: Request) -> HTTPResponse:
            """Twilio's status callback for broadcast messages (`bot.broadcasts.callbacks`)."""
            form = read_form(request)
            if not self.authentic(request, form):
                self.stats.forbidden += 1
                return response.text("forbidden", status=403)
            sid, state = form.get("MessageSid") or "", form.get("MessageStatus") or ""
            if not sid or not state:
                self.stats.malformed += 1
                return response.text("MessageSid and MessageStatus are required", status=400)
            code = form.get("ErrorCode") or None
            unreachable = bool(code and code.isdigit() and int(code) in UNDELIVERABLE_CODES)
            self.background.spawn(self._delivery_report(sid, state, code, unreachable))
            return response.text("", status=204)

        return webhook

    def authentic(self, request: Request, form: RequestParameters) -> bool:
        """Return True when Twilio signed this request, for our account."""
        signature = request.headers.get(SIGNATURE_HEADER) or ""
        if not signature or not self.validator.validate(self.signed_url(request), form,
                                                        signature):
            return False
        return form.get("AccountSid") in (None, self.twilio.account_sid)

    async def _delivery_report(self, sid: str, state: str, code: str | None,
                               unreachable: bool) -> None:
        """Apply a status callback; one that outruns the sender's own record waits for it."""
        if self._reports is None:
            from bot.broadcasts.callbacks import DeliveryReports

            self._reports = DeliveryReports(self.optouts.engine, self.settings)
        for _ in range(REPORT_ATTEMPTS):
            outcome = await asyncio.to_thread(self._reports.apply, sid, state, code, unreachable)
            if outcome != "unknown":
                return
            await asyncio.sleep(REPORT_RETRY_SECONDS)

    async def process(
        self, taken: Taken, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        """Answer one message from the inbox, or finish an answer a dead process started."""
        assert taken.message is not None
        incoming = Incoming(**taken.message)
        await self.in_order(incoming.person, incoming.kind,
                            lambda: self._handle(taken, incoming, on_new_message))

    async def _handle(
        self, taken: Taken, incoming: Incoming,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        person = incoming.person
        plan = taken.plan
        fresh = plan is None
        if plan is None:
            plan = await self._plan_turn(incoming, on_new_message)

        if plan.get("more") is not None:  # kept before the send, so a quick MORE finds it
            rest, language = plan["more"]
            await self.pending.put(person, rest, language)

        async def send(item: dict[str, Any]) -> None:
            await self.sender.send(incoming.address, incoming.reply_from, item["body"])

        await self.run_plan(taken, plan, fresh, send)

    async def _plan_turn(
        self, incoming: Incoming, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> dict[str, Any]:
        person = incoming.person
        if incoming.more:
            kept = await self.pending.take(person)
            if kept is not None:
                return self._sms_plan(kept[0], kept[1])
        if incoming.opt == "out":
            await self.opt_out(person, incoming.kind, "stop")
        elif incoming.opt == "in":
            await self.opt_in(person)
        await self.pending.forget(person)
        replies = await run_turn(on_new_message, incoming.text, person, incoming.kind)
        await self.after_turn(person, incoming.kind, incoming.address, replies)
        return self.plan(incoming.kind, replies)

    def plan(self, kind: str, replies: list[Reply]) -> dict[str, Any]:
        """Return the sends of a turn's replies: one budgeted SMS, or one WhatsApp message per
        reply."""
        urgent = any(reply.urgent for reply in replies)
        texts = [reply.text for reply in replies if reply.text]
        if not texts:
            return {"sends": [], "urgent": urgent}
        language = next((r.language for r in reversed(replies) if r.language), None)
        if kind == "sms":
            return {**self._sms_plan("\n\n".join(texts), language), "urgent": urgent}
        sends = [{"body": part} for text in texts
                 for part in split(text, lambda part: len(part) <= WHATSAPP_MAX_CHARS)]
        return {"sends": sends, "urgent": urgent}

    def _sms_plan(self, text: str, language: str | None) -> dict[str, Any]:
        # Sent accent-folded when that makes it GSM-7: a Spanish or French answer then costs
        # less than half the segments (`bot.sms.gsm_fold`). The rest waits for MORE.
        body, rest = fit_budget(gsm_fold(text), self.settings.sms_segment_budget,
                                gsm_fold(phrase(MORE_HINT, language)))
        return {"sends": [{"body": body}], "more": [rest, language], "urgent": False}
