"""A fake Twilio REST API (the Messages resource) for end-to-end tests.

It serves `/2010-04-01/Accounts/{AccountSid}/Messages.json` (create) and
`/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json` (fetch) on 127.0.0.1 from a background
thread, with HTTP Basic auth, so that a real twilio client can talk to it:

    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=AsyncTwilioHttpClient())
        client.api.base_url = fake.url
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from http.client import HTTPMessage
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes._server import Call, FakeService, Reply, take_scripted

__all__ = ["API_VERSION", "BODY_MAX_LENGTH", "Call", "FakeTwilio"]

try:
    from bot.sms import segments
except ImportError:  # pragma: no cover - only when the bot package lacks bot.sms
    _GSM7_BASIC = frozenset(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    )
    _GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

    def segments(text: str) -> int:
        """Return how many SMS segments `text` takes (GSM-7 160/153, UCS-2 70/67)."""
        if not text:
            return 0
        if all(ch in _GSM7_BASIC or ch in _GSM7_EXTENSION for ch in text):
            single, multi = 160, 153
            length = sum(2 if ch in _GSM7_EXTENSION else 1 for ch in text)
        else:
            single, multi = 70, 67
            length = len(text.encode("utf-16-le")) // 2
        return 1 if length <= single else -(-length // multi)


API_VERSION = "2010-04-01"
BODY_MAX_LENGTH = 1600
_MULTI_VALUED = frozenset({"MediaUrl", "PersistentAction"})
_DEFAULT_ERRORS = {
    400: (21211, "Invalid 'To' Phone Number"),
    401: (20003, "Authenticate"),
    404: (20404, "The requested resource was not found"),
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
}


@dataclass
class _Failure:
    status: int
    code: int
    message: str
    retry_after: int | None
    times: int


def _parse_form(body: bytes) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, values in parse_qs(body.decode("utf-8"), keep_blank_values=True).items():
        params[key] = values if key in _MULTI_VALUED or len(values) > 1 else values[0]
    return params


def _now() -> str:
    return format_datetime(datetime.now(timezone.utc).replace(microsecond=0))


class FakeTwilio(FakeService):
    """Serve a fake Twilio REST API (Messages) for one account on 127.0.0.1 (random port).

    `url` is the API root, e.g. http://127.0.0.1:PORT (stands for https://api.twilio.com).
    """

    thread_name = "fake-twilio"
    content_type = "application/json; charset=utf-8"

    def __init__(self, account_sid: str, auth_token: str) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._messages: dict[str, dict[str, Any]] = {}
        self._failures: deque[_Failure] = deque()
        self._unsubscribed: set[str] = set()

    # scripting

    def fail_next(self, status: int, code: int | None = None, message: str | None = None,
                  retry_after: int | None = None, times: int = 1) -> None:
        """Make the next `times` message creations fail with `status`, `code` and `message`.

        A 429 with `retry_after` carries a Retry-After header. Failures are used in order.
        """
        default_code, default_message = _DEFAULT_ERRORS.get(status, (status, "Error"))
        with self._lock:
            self._failures.append(_Failure(status, default_code if code is None else code,
                                           message or default_message, retry_after, times))

    def unsubscribed(self, number: str) -> None:
        """Make every message to `number` fail with 400 / 21610 (recipient replied STOP)."""
        with self._lock:
            self._unsubscribed.add(number)

    def resubscribed(self, number: str) -> None:
        """Undo `unsubscribed(number)`."""
        with self._lock:
            self._unsubscribed.discard(number)

    def delay(self, seconds: float) -> None:
        """Delay every message creation response by `seconds` (0 to stop delaying)."""
        super().delay(seconds)

    # recording

    def _recipient(self, params: dict[str, Any]) -> str | None:
        to = params.get("To")
        return to if isinstance(to, str) else None


    def sent_messages(self, to: str | None = None) -> list[dict[str, Any]]:
        """Return the params of the successful message creations, optionally only to `to`."""
        return [
            call.params for call in self.calls
            if call.method == "Messages.create" and call.status == 201
            and (to is None or call.params.get("To") == to)
        ]

    def message(self, sid: str) -> dict[str, Any] | None:
        """Return the stored message resource `sid`, as the API returned it."""
        with self._lock:
            resource = self._messages.get(sid)
            return dict(resource) if resource is not None else None

    def reset(self) -> None:
        """Forget recorded calls, stored messages, scripted failures, unsubscribes, the delay."""
        with self._lock:
            super().reset()
            self._messages.clear()
            self._failures.clear()
            self._unsubscribed.clear()

    # serving

    def _route(self, http_method: str, path: str, headers: HTTPMessage,
               body: bytes) -> tuple[str, dict[str, Any], Reply]:
        route = unquote(urlsplit(path).path)
        prefix = f"/{API_VERSION}/Accounts/"
        account, _, resource = route.removeprefix(prefix).partition("/")
        message_sid = resource.removeprefix("Messages/").removesuffix(".json")
        if not route.startswith(prefix):
            method = f"{http_method} {route}"
        elif http_method == "POST" and resource == "Messages.json":
            method = "Messages.create"
        elif (http_method == "GET" and resource.startswith("Messages/")
              and resource.endswith(".json") and message_sid and "/" not in message_sid):
            method = "Messages.fetch"
        else:
            method = f"{http_method} {route}"
        params: dict[str, Any] = {}
        if method == "Messages.create":
            try:
                params = _parse_form(body)
            except UnicodeDecodeError:
                params = {}

        if not self._authorized(headers.get("Authorization", "")):
            reply = self._error(401, 20003, "Authenticate",
                                headers={"WWW-Authenticate": 'Basic realm="Twilio API"'})
        elif method not in ("Messages.create", "Messages.fetch") or account != self.account_sid:
            reply = self._not_found(route)
        else:
            with self._lock:
                if method == "Messages.create":
                    reply = self._create(params)
                else:
                    resource_found = self._messages.get(message_sid)
                    reply = (Reply(200, dict(resource_found), {}) if resource_found is not None
                             else self._not_found(route))
        return method, params, reply

    def _authorized(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        username, _, password = decoded.partition(":")
        return secrets.compare_digest(username, self.account_sid) and secrets.compare_digest(
            password, self.auth_token)

    @staticmethod
    def _error(status: int, code: int, message: str,
               headers: dict[str, str] | None = None) -> Reply:
        body = {"code": code, "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}
        return Reply(status, body, headers or {})

    def _not_found(self, route: str) -> Reply:
        return self._error(404, 20404, f"The requested resource {route} was not found")

    def _create(self, params: dict[str, Any]) -> Reply:
        failure = take_scripted(self._failures)
        if failure is not None:
            headers = ({"Retry-After": str(failure.retry_after)}
                       if failure.status == 429 and failure.retry_after is not None else {})
            reply = self._error(failure.status, failure.code, failure.message, headers)
        else:
            reply = self._validate(params) or self._accept(params)
        return self._delayed(reply)

    def _validate(self, params: dict[str, Any]) -> Reply | None:
        to = params.get("To")
        body = params.get("Body", "")
        if not to:
            return self._error(400, 21604, "A 'To' phone number is required.")
        if not params.get("From") and not params.get("MessagingServiceSid"):
            return self._error(400, 21603, "A 'From' phone number is required.")
        if not body and not params.get("MediaUrl") and not params.get("ContentSid"):
            return self._error(400, 21602, "Message body is required.")
        if isinstance(body, str) and len(body) > BODY_MAX_LENGTH:
            return self._error(400, 21617, "The concatenated message body exceeds the "
                               f"{BODY_MAX_LENGTH} character limit.")
        if to in self._unsubscribed:
            return self._error(400, 21610, "Attempt to send to unsubscribed recipient")
        return None

    def _accept(self, params: dict[str, Any]) -> Reply:
        sid = "SM" + secrets.token_hex(16)
        body = params.get("Body", "")
        body = body if isinstance(body, str) else str(body)
        media = params.get("MediaUrl") or []
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        now = _now()
        resource: dict[str, Any] = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": params.get("From") or None,
            "messaging_service_sid": params.get("MessagingServiceSid") or None,
            "num_media": str(len(media)),
            "num_segments": str(segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {
                "media": uri.removesuffix(".json") + "/Media.json",
                "feedback": uri.removesuffix(".json") + "/Feedback.json",
            },
            "to": params["To"],
            "uri": uri,
        }
        self._messages[sid] = resource
        return Reply(201, dict(resource), {})
