"""The router in front of several Rasa processes: each person always reaches the same one, and
requests pass through untouched (so the workers' own checks still hold)."""

from __future__ import annotations

import json
import urllib.parse
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.router import create_app, pick, routing_key


def telegram_update(chat: int, kind: str = "message") -> bytes:
    part: dict[str, Any] = {"chat": {"id": chat, "type": "private"}, "text": "hi"}
    if kind == "callback_query":
        part = {"id": "cb", "from": {"id": chat}, "message": {"chat": {"id": chat}},
                "data": "1"}
    return json.dumps({"update_id": 7, kind: part}).encode()


@pytest.mark.parametrize("kind", ["message", "edited_message", "callback_query",
                                  "my_chat_member"])
def test_every_kind_of_telegram_update_is_keyed_by_its_chat(kind: str) -> None:
    assert routing_key("/webhooks/telegram/webhook", telegram_update(42, kind)) == "tg:42"


def test_twilio_and_rest_requests_are_keyed_by_their_sender() -> None:
    form = urllib.parse.urlencode({"From": "whatsapp:+212600000001", "Body": "salam"}).encode()
    assert routing_key("/webhooks/twilio/webhook", form) == "whatsapp:+212600000001"
    status = urllib.parse.urlencode({"MessageSid": "SM1", "MessageStatus": "sent"}).encode()
    assert routing_key("/webhooks/twilio/status", status) == "SM1"
    assert routing_key("/webhooks/rest/webhook", b'{"sender": "abc"}') == "abc"


@pytest.mark.parametrize("path, body", [
    ("/webhooks/telegram/webhook", b"not json"), ("/webhooks/telegram/webhook", b"[1]"),
    ("/webhooks/rest/webhook", b"{bad"), ("/", b""),
])
def test_unreadable_requests_still_get_a_worker(path: str, body: bytes) -> None:
    assert isinstance(routing_key(path, body), str)


def test_people_are_spread_evenly_and_stably() -> None:
    counts = Counter(pick(f"tg:{chat}", 3) for chat in range(3000))
    assert set(counts) == {0, 1, 2} and min(counts.values()) > 900
    assert all(pick(f"tg:{chat}", 3) == pick(f"tg:{chat}", 3) for chat in range(100))


class Worker:
    """A stand-in Rasa process that records what reaches it and answers like a webhook."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[dict[str, Any]] = []
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append({"path": request.path_qs, "body": await request.read(),
                          "secret": request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                          "signature": request.headers.get("X-Twilio-Signature")})
        if request.path == "/busy":
            return web.json_response({"error": "busy"}, status=503,
                                     headers={"Retry-After": "5"})
        return web.json_response({"worker": self.name})


@pytest.fixture
async def cluster() -> AsyncIterator[tuple[TestClient, list[Worker]]]:
    workers = [Worker("a"), Worker("b")]
    servers = [TestServer(worker.app) for worker in workers]
    for server in servers:
        await server.start_server()
    router = TestClient(TestServer(create_app(
        [f"http://127.0.0.1:{server.port}" for server in servers])))
    await router.start_server()
    yield router, workers
    await router.close()
    for server in servers:
        await server.close()


async def test_one_chat_always_reaches_the_same_worker_with_its_headers_intact(
        cluster: tuple[TestClient, list[Worker]]) -> None:
    router, workers = cluster
    answered = set()
    for _ in range(5):
        reply = await router.post("/webhooks/telegram/webhook?x=1", data=telegram_update(99),
                                  headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret",
                                           "Content-Type": "application/json"})
        assert reply.status == 200
        answered.add((await reply.json())["worker"])
    assert len(answered) == 1
    [worker] = [w for w in workers if w.name in answered]
    assert len(worker.seen) == 5
    assert worker.seen[0] == {"path": "/webhooks/telegram/webhook?x=1",
                              "body": telegram_update(99), "secret": "s3cret",
                              "signature": None}


async def test_many_people_use_both_workers(cluster: tuple[TestClient, list[Worker]]) -> None:
    router, workers = cluster
    for chat in range(40):
        reply = await router.post("/webhooks/telegram/webhook", data=telegram_update(chat))
        assert reply.status == 200
    assert all(len(worker.seen) >= 8 for worker in workers)


async def test_a_worker_status_and_retry_after_are_relayed(
        cluster: tuple[TestClient, list[Worker]]) -> None:
    router, _ = cluster
    reply = await router.post("/busy", data=b"")
    assert reply.status == 503 and reply.headers["Retry-After"] == "5"


async def test_a_worker_that_is_down_gets_503_with_retry_after() -> None:
    router = TestClient(TestServer(create_app(["http://127.0.0.1:9"])))
    await router.start_server()
    try:
        reply = await router.post("/webhooks/rest/webhook", data=b'{"sender": "x"}')
        assert reply.status == 503 and reply.headers["Retry-After"] == "5"
    finally:
        await router.close()
