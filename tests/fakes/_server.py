"""HTTP plumbing shared by the fake vendor servers.

`LoopbackServer` serves JSON replies on 127.0.0.1 (random port) from handler threads, and
`FakeService` is the base of every fake: it runs a `LoopbackServer` in a background thread,
records each request as a `Call`, and lets tests wait for what they expect. A fake only has to
implement `_route`, which turns one request into its recorded method, params and `Reply`.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, TypeVar

_Service = TypeVar("_Service", bound="FakeService")


@dataclass(frozen=True)
class Call:
    """One request received by the fake, whatever its outcome."""

    method: str
    params: dict[str, Any]
    status: int
    at: float
    response: Any = None


@dataclass(frozen=True)
class Reply:
    """The JSON reply to one request, sent after `delay` seconds."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    delay: float = 0.0


Respond = Callable[[str, str, HTTPMessage, bytes], Reply]


class _Countdown(Protocol):
    times: int


_Scripted = TypeVar("_Scripted", bound=_Countdown)


def take_scripted(queue: deque[_Scripted]) -> _Scripted | None:
    """Return the first scripted entry of `queue`, dropping it once its `times` are used up."""
    if not queue:
        return None
    entry = queue[0]
    entry.times -= 1
    if entry.times <= 0:
        queue.popleft()
    return entry


class LoopbackServer(ThreadingHTTPServer):
    """Serve GET and POST on 127.0.0.1 (random port), answering with `respond(...)` as JSON.

    `respond(http_method, path, headers, body)` is called from the handler threads; the body
    has been read already (Content-Length or chunked).
    """

    daemon_threads = True
    #: socketserver's default of 5 drops connection bursts from several servers' pools.
    request_queue_size = 128

    def __init__(self, respond: Respond, content_type: str = "application/json") -> None:
        self.respond = respond
        self.content_type = content_type
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client vanished (a sender killed on purpose); report the rest."""
        if isinstance(sys.exc_info()[1], ConnectionResetError | BrokenPipeError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Shut down kept-alive client connections so their handler threads end."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60
    server: LoopbackServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        body = self._read_body()
        reply = self.server.respond(self.command, self.path, self.headers, body)
        if reply.delay > 0:
            time.sleep(reply.delay)
        payload = json.dumps(reply.body).encode("utf-8")
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", self.server.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up waiting (a timeout test)


class FakeService:
    """Base of the fakes: a `LoopbackServer` in a background thread that records every call.

    Subclasses set `thread_name` and `content_type`, implement `_route`, and extend `reset`
    to forget their own state. `_lock` guards the recorded calls and any scripted state.
    """

    thread_name = "fake-service"
    content_type = "application/json"

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._calls: list[Call] = []
        self._by_recipient: dict[str, list[Call]] = {}
        self._delay = 0.0
        self._server: LoopbackServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle

    def start(self: _Service) -> _Service:
        """Start serving in a background thread (no-op when already started)."""
        if self._server is None:
            self._server = LoopbackServer(self._serve_request, self.content_type)
            self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                            name=self.thread_name, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self: _Service) -> _Service:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Return the API root, e.g. http://127.0.0.1:PORT."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://127.0.0.1:{self._server.port}"

    # scripting

    def delay(self, seconds: float) -> None:
        """Delay every response the fake sends through `_delayed` by `seconds` (0 to stop)."""
        with self._lock:
            self._delay = max(0.0, seconds)

    # recording

    @property
    def calls(self) -> list[Call]:
        """Return a snapshot of every request received, in arrival order."""
        with self._lock:
            return list(self._calls)

    def calls_for(self, recipient: int | str) -> list[Call]:
        """Return the calls addressed to `recipient` (a chat id, a phone number), in order."""
        with self._lock:
            return list(self._by_recipient.get(str(recipient), ()))

    def wait_for(self: _Service, predicate: Callable[[_Service], bool],
                 timeout: float = 10.0) -> bool:
        """Wait until `predicate(self)` is true; return False if `timeout` seconds pass first.

        The predicate is checked again each time a call is recorded (and at least every 50 ms),
        outside the lock, so a waiting test or bench neither polls nor holds up the server.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._changed:
                seen = len(self._calls)
            if predicate(self):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._changed:
                if len(self._calls) == seen:
                    self._changed.wait(min(remaining, 0.05))

    async def wait_for_async(self: _Service, predicate: Callable[[_Service], bool],
                             timeout: float = 10.0) -> bool:
        """Like `wait_for`, but sleep with asyncio so the caller's event loop keeps running."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    def clear(self) -> None:
        """Forget the recorded calls (scripted behaviour and the delay stay)."""
        with self._lock:
            self._calls.clear()
            self._by_recipient.clear()

    def reset(self) -> None:
        """Forget the recorded calls and the delay; subclasses forget their own state too."""
        with self._lock:
            self._calls.clear()
            self._by_recipient.clear()
            self._delay = 0.0

    # serving

    def _delayed(self, reply: Reply) -> Reply:
        """Return `reply` to be sent after the current delay."""
        return replace(reply, delay=self._delay)

    def _serve_request(self, http_method: str, path: str, headers: HTTPMessage,
                       body: bytes) -> Reply:
        at = time.monotonic()
        method, params, reply = self._route(http_method, path, headers, body)
        call = Call(method, params, reply.status, at, reply.body)
        recipient = self._recipient(params)
        with self._changed:
            self._calls.append(call)
            if recipient is not None:
                self._by_recipient.setdefault(recipient, []).append(call)
            self._changed.notify_all()
        return reply

    def _recipient(self, params: dict[str, Any]) -> str | None:
        """Return whom a call is addressed to, for `calls_for`; None when nobody."""
        return None

    def _route(self, http_method: str, path: str, headers: HTTPMessage,
               body: bytes) -> tuple[str, dict[str, Any], Reply]:
        """Answer one request: return the method and params to record, and the reply."""
        raise NotImplementedError
