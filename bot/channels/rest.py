"""The REST channel for local clients and tests, at /webhooks/rest/webhook.

Same request and response shapes as Rasa's built-in `rest` channel
(`{"sender": "...", "message": "...", "metadata": {...}}` in, a JSON list of
`{"recipient_id", "text", "buttons"?}` out), with what the built-in one lacks:

* text starting with "/" is read as text, never as a forced intent with entities;
* malformed requests get 400 with a reason, never a 500;
* invisible and control characters are removed and very long texts cut
  (`bot.text.clean_user_text`);
* only `metadata.language_hint` is passed on; nothing else a client sends reaches the tracker;
* no message text is logged, at any level.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.text import neutralize_command_prefix

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128


class RequestError(ValueError):
    """The request cannot be handled; the message says why (it never contains user text)."""


def parse_request(body: Any) -> tuple[str, str, dict[str, Any]]:
    """Return (sender, text, metadata) from a REST request body or raise RequestError."""
    if not isinstance(body, dict):
        raise RequestError("body must be a JSON object")
    sender = body.get("sender")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        raise RequestError(f"'sender' must be a non-empty string of at most {MAX_SENDER_CHARS}")
    message = body.get("message", "")
    if message is None:
        message = ""
    if not isinstance(message, str):
        raise RequestError("'message' must be a string")
    metadata: dict[str, Any] = {}
    raw_metadata = body.get("metadata")
    if isinstance(raw_metadata, dict) and isinstance(raw_metadata.get("language_hint"), str):
        metadata["language_hint"] = raw_metadata["language_hint"][:16]
    return sender.strip(), neutralize_command_prefix(message), metadata


class SafeRestInput(InputChannel):
    """Rasa's REST channel, made safe for user text."""

    @classmethod
    def name(cls) -> str:
        """Serve at /webhooks/rest/, like Rasa's own REST channel."""
        return "rest"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """Return the channel's routes."""
        webhook = Blueprint("safe_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:  # sanic raises its own InvalidUsage on bad JSON
                return response.json({"error": "body is not valid JSON"}, status=400)
            try:
                sender, text, metadata = parse_request(body)
            except RequestError as error:
                return response.json({"error": str(error)}, status=400)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender, input_channel=self.name(),
                                metadata=metadata)
                )
            except Exception:
                # Never log the text or the sender: only that a turn failed.
                logger.exception("A REST turn failed")
                return response.json({"error": "the assistant could not answer"}, status=500)
            return response.json(collector.messages)

        return webhook
