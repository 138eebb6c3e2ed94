"""A fake Telegram Bot API for end-to-end tests.

It serves `{url}/bot{token}/{method}` on 127.0.0.1 from a background thread, so that a real
python-telegram-bot client can talk to it:

    with FakeTelegram(TOKEN) as fake:
        bot = Bot(TOKEN, base_url=f"{fake.url}/bot")

Parameters are accepted as a query string, JSON, form-urlencoded or multipart/form-data (what
python-telegram-bot 22 sends). In form data, values that are JSON objects or arrays (such as
`reply_markup` or `message_ids`) are decoded; every other value is kept as it came (a string for
form data, whatever JSON type for a JSON body).
"""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import dataclass
from email.message import Message as _HeaderParser
from http.client import HTTPMessage
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.fakes._server import Call, FakeService, Reply, take_scripted

__all__ = ["MESSAGE_MAX_LENGTH", "Call", "FakeTelegram", "Upload"]

MESSAGE_MAX_LENGTH = 4096  # UTF-16 code units, as Telegram counts them


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart/form-data request."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None
    times: int


class _BadRequest(Exception):
    """Raised when the request body cannot be parsed."""


def _header_param(value: str, param: str, header: str = "content-type") -> str | None:
    parser = _HeaderParser()
    parser[header] = value
    found = parser.get_param(param, header=header)
    return found if isinstance(found, str) else None


def _maybe_json(value: str) -> Any:
    """Decode `value` when it is a JSON object or array, else return it unchanged."""
    stripped = value.strip()
    if stripped[:1] in ("{", "["):
        try:
            decoded = json.loads(stripped)
        except ValueError:
            return value
        if isinstance(decoded, dict | list):
            return decoded
    return value


def _parse_multipart(body: bytes, boundary: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for chunk in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, sep, value = line.partition(":")
            if sep:
                headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = _header_param(disposition, "name", "content-disposition")
        if name is None:
            continue
        filename = _header_param(disposition, "filename", "content-disposition")
        if filename is not None:
            content_type = headers.get("content-type", "application/octet-stream")
            params[name] = Upload(filename, content_type, data)
        else:
            params[name] = _maybe_json(data.decode("utf-8"))
    return params


def _parse_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    params: dict[str, Any] = {
        key: _maybe_json(value) for key, value in parse_qsl(query, keep_blank_values=True)
    }
    media_type = content_type.split(";", 1)[0].strip().lower()
    try:
        if media_type == "application/json" and body.strip():
            decoded = json.loads(body)
            if not isinstance(decoded, dict):
                raise _BadRequest("Bad Request: JSON object expected")
            params.update(decoded)
        elif media_type == "application/x-www-form-urlencoded":
            form = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            params.update({key: _maybe_json(value) for key, value in form})
        elif media_type == "multipart/form-data":
            boundary = _header_param(content_type, "boundary")
            if not boundary:
                raise _BadRequest("Bad Request: multipart boundary missing")
            params.update(_parse_multipart(body, boundary))
    except (UnicodeDecodeError, ValueError) as error:
        raise _BadRequest(f"Bad Request: can't parse request body: {error}") from error
    return params


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


_METHODS = (
    "getMe",
    "sendMessage",
    "deleteMessage",
    "deleteMessages",
    "answerCallbackQuery",
    "setWebhook",
    "deleteWebhook",
    "setMyCommands",
    "editMessageReplyMarkup",
)
_CANONICAL = {name.lower(): name for name in _METHODS}
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class FakeTelegram(FakeService):
    """Serve a fake Telegram Bot API for one bot token on 127.0.0.1 (random port).

    `url` is the Bot API root, e.g. http://127.0.0.1:PORT (clients add /bot{token}).
    """

    thread_name = "fake-telegram"

    def __init__(self, token: str, *, username: str = "fake_test_bot",
                 first_name: str = "Fake Bot") -> None:
        super().__init__()
        self.token = token
        bot_id = token.split(":", 1)[0]
        self.bot_user: dict[str, Any] = {
            "id": int(bot_id) if bot_id.isdigit() else 1,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self._message_ids: dict[str, int] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self._blocked: set[str] = set()

    # scripting

    def fail_next(self, method: str, status: int, description: str | None = None,
                  retry_after: int | None = None, times: int = 1) -> None:
        """Make the next `times` calls of `method` fail with `status` and `description`.

        A 429 always carries `parameters.retry_after` (1 when not given) and a Retry-After
        header. Failures queued for a method are used in order.
        """
        name = _CANONICAL.get(method.lower())
        if name is None:
            raise ValueError(f"FakeTelegram does not serve {method!r}")
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = (f"Too Many Requests: retry after {retry_after}" if status == 429
                           else _DEFAULT_DESCRIPTIONS.get(status, "Error"))
        with self._lock:
            queue = self._failures.setdefault(name, deque())
            queue.append(_Failure(status, description, retry_after, times))

    def block(self, chat_id: int | str) -> None:
        """Make every sendMessage to `chat_id` fail with 403 (bot blocked by the user)."""
        with self._lock:
            self._blocked.add(str(chat_id))

    def unblock(self, chat_id: int | str) -> None:
        """Undo `block(chat_id)`."""
        with self._lock:
            self._blocked.discard(str(chat_id))

    def delay(self, seconds: float) -> None:
        """Delay every sendMessage response by `seconds` (0 to stop delaying)."""
        super().delay(seconds)

    # recording

    def _recipient(self, params: dict[str, Any]) -> str | None:
        chat = params.get("chat_id")
        return None if chat is None else str(chat)


    def calls_to(self, method: str, chat_id: int | str | None = None) -> list[Call]:
        """Return the calls of `method` (any outcome), optionally only those to `chat_id`."""
        wanted = method.lower()
        return [
            call for call in self.calls
            if call.method.lower() == wanted
            and (chat_id is None or str(call.params.get("chat_id")) == str(chat_id))
        ]

    def sent_messages(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        """Return the params of the successful sendMessage calls, optionally to `chat_id`."""
        return [call.params for call in self.calls_to("sendMessage", chat_id)
                if call.status == 200]

    def reset(self) -> None:
        """Forget recorded calls, scripted failures, blocks, the delay and message ids."""
        with self._lock:
            super().reset()
            self._failures.clear()
            self._blocked.clear()
            self._message_ids.clear()

    # serving

    def _route(self, http_method: str, path: str, headers: HTTPMessage,
               body: bytes) -> tuple[str, dict[str, Any], Reply]:
        parts = urlsplit(path)
        route = unquote(parts.path)
        token, _, method = route.removeprefix("/bot").partition("/")
        if not route.startswith("/bot") or not method or "/" in method:
            return route, {}, self._error(404, "Not Found")
        try:
            params = _parse_params(parts.query, headers.get("Content-Type", ""), body)
        except _BadRequest as error:
            return method, {}, self._error(400, str(error))
        method = _CANONICAL.get(method.lower(), method)
        if token != self.token:
            reply = self._error(401, "Unauthorized")
        elif method not in _METHODS:
            reply = self._error(404, "Not Found")
        else:
            with self._lock:
                reply = self._scripted_failure(method) or self._call(method, params)
        return method, params, reply

    @staticmethod
    def _ok(result: Any) -> Reply:
        return Reply(200, {"ok": True, "result": result}, {})

    @staticmethod
    def _error(status: int, description: str, retry_after: int | None = None) -> Reply:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        headers: dict[str, str] = {}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
            if status == 429:
                headers["Retry-After"] = str(retry_after)
        return Reply(status, body, headers)

    def _scripted_failure(self, method: str) -> Reply | None:
        failure = take_scripted(self._failures.get(method, deque()))
        if failure is None:
            return None
        reply = self._error(failure.status, failure.description, failure.retry_after)
        return self._delayed(reply) if method == "sendMessage" else reply

    def _call(self, method: str, params: dict[str, Any]) -> Reply:
        if method == "getMe":
            return self._ok({**self.bot_user, "can_join_groups": True,
                             "can_read_all_group_messages": False,
                             "supports_inline_queries": False})
        if method == "sendMessage":
            return self._delayed(self._send_message(params))
        return self._ok(True)

    def _send_message(self, params: dict[str, Any]) -> Reply:
        chat_id = params.get("chat_id")
        text = params.get("text")
        if chat_id is None or str(chat_id) == "":
            return self._error(400, "Bad Request: chat_id is empty")
        if not isinstance(text, str) or not text.strip():
            return self._error(400, "Bad Request: message text is empty")
        if _utf16_length(text) > MESSAGE_MAX_LENGTH:
            return self._error(400, "Bad Request: message is too long")
        try:
            chat = int(str(chat_id))
        except ValueError:
            return self._error(400, "Bad Request: chat not found")
        key = str(chat)
        if key in self._blocked:
            return self._error(403, "Forbidden: bot was blocked by the user")
        message_id = self._message_ids.get(key, 0) + 1
        self._message_ids[key] = message_id
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": dict(self.bot_user),
            "chat": {"id": chat, "first_name": "Test", "type": "private"},
            "date": int(time.time()),
            "text": text,
        }
        markup = params.get("reply_markup")
        # Telegram only returns inline keyboards in Message.reply_markup.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return self._ok(message)
