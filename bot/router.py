"""Spread the webhooks over several Rasa processes, each person always to the same one.

One Rasa process runs its dialogue on one core (about 35 ms of CPU a message), so one process
answers about 30 messages a second whatever the machine. `serve --workers N` starts N Rasa
processes on loopback and this router on the public port. The router reads just enough of each
request to know whose it is (the Telegram chat, the Twilio sender, the REST sender), hashes
that, and forwards the request untouched (method, path, query, headers, body) to that person's
process, which does everything else: the secret-token and signature checks (Twilio signs the
public URL, which does not change), de-duplication, pseudonyms, the turn and the reply. So one
person's messages are answered in order, a retried update reaches the process that saw it
first, and a conversation's state lives in one process only. The router keeps nothing and logs
nothing about a request.

Sending limits are shared: each process sends at 1/N of the Telegram bot's 30 messages a
second and of each Twilio sender's pace (`SERVE_WORKERS`, set by `serve`).

Usage (started by `serve`): python -m bot.router --port 5005 --host 127.0.0.1
    --worker http://127.0.0.1:PORT1 --worker http://127.0.0.1:PORT2
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import uvloop
from aiohttp import web

logger = logging.getLogger(__name__)

#: Headers not forwarded: they describe one hop, not the request.
HOP_HEADERS = frozenset({"connection", "keep-alive", "transfer-encoding", "te", "trailer",
                         "upgrade", "proxy-authorization", "proxy-authenticate", "host",
                         "content-length"})
RELAYED_HEADERS = ("Content-Type", "Content-Encoding", "Retry-After")
#: Telegram retries a 503 with Retry-After; Twilio gets the same answer and shows it as an error.
UNAVAILABLE = {"error": "busy"}


def routing_key(path: str, body: bytes) -> str:
    """Return whose request this is: a chat, a phone number, a REST sender ("" when unknown).

    Only the key's hash picks the process; the key itself is never kept or logged.
    """
    if path.startswith("/webhooks/telegram/"):
        return _telegram_key(body)
    if path.startswith("/webhooks/twilio/"):
        form = parse_qs(body.decode("utf-8", errors="replace"))
        return (form.get("From") or form.get("MessageSid") or [""])[0]
    if path.startswith("/webhooks/rest/"):
        try:
            data = json.loads(body or b"null")
        except ValueError:
            return ""
        return str(data.get("sender") or "") if isinstance(data, dict) else ""
    return ""


def _telegram_key(body: bytes) -> str:
    try:
        update = json.loads(body or b"null")
    except ValueError:
        return ""
    if not isinstance(update, dict):
        return ""
    for field in ("message", "edited_message", "my_chat_member", "callback_query"):
        part = update.get(field)
        if not isinstance(part, dict):
            continue
        chat = part.get("chat") or (part.get("message") or {}).get("chat") or part.get("from")
        if isinstance(chat, dict) and chat.get("id") is not None:
            return f"tg:{chat['id']}"
    return f"update:{update.get('update_id')}"


def pick(key: str, workers: int) -> int:
    """Return the process of `key`: the same for the same key, spread evenly."""
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:8], "big") % workers


def create_app(workers: Sequence[str]) -> web.Application:
    """Return the router forwarding to the Rasa processes at `workers` (base URLs)."""
    if not workers:
        raise ValueError("the router needs at least one worker")
    app = web.Application(client_max_size=1024 * 1024)
    state: dict[str, Any] = {}

    async def start(_: web.Application) -> None:
        state["session"] = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=512, limit_per_host=256),
            timeout=aiohttp.ClientTimeout(total=30), auto_decompress=False)

    async def stop(_: web.Application) -> None:
        await state["session"].close()

    async def forward(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        target = workers[pick(routing_key(request.path, body), len(workers))]
        headers = {name: value for name, value in request.headers.items()
                   if name.lower() not in HOP_HEADERS}
        try:
            async with state["session"].request(
                    request.method, f"{target}{request.rel_url}", data=body,
                    headers=headers, allow_redirects=False) as reply:
                payload = await reply.read()
                relayed = {name: reply.headers[name] for name in RELAYED_HEADERS
                           if name in reply.headers}
                return web.Response(status=reply.status, body=payload, headers=relayed)
        except (aiohttp.ClientError, TimeoutError) as error:
            logger.warning("router: a worker did not answer (%s)", type(error).__name__)
            return web.json_response(UNAVAILABLE, status=503, headers={"Retry-After": "5"})

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


def main(argv: list[str] | None = None) -> None:
    """Run the router until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m bot.router")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--worker", action="append", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    # uvloop (installed with Sanic, which Rasa runs on) parses and forwards with less CPU than
    # asyncio's own loop; the router's only work is moving bytes.
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    web.run_app(create_app(args.worker), host=args.host, port=args.port, print=None,
                access_log=None, handle_signals=True)


if __name__ == "__main__":
    main()
