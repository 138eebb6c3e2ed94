"""A python-telegram-bot transport on aiohttp, the HTTP client Rasa already runs on.

python-telegram-bot sends through `HTTPXRequest` by default. Under load on 2 cores, httpx and
its pure-Python HTTP/1.1 stack took about a fifth of the Rasa process's CPU for sending
answers (py-spy, bench/channels.py); aiohttp parses HTTP in C and does the same work for less.
`BaseRequest` is the library's documented seam for a custom transport, so the Bot, its
methods, its error classes and its retries stay python-telegram-bot's own.

Behaviour follows `HTTPXRequest`: form-encoded parameters (multipart when there are files),
per-call timeouts with the instance's defaults, `TimedOut` for timeouts and `NetworkError`
for other transport errors. The session is created in `initialize`, inside the running loop.
"""

from __future__ import annotations

import asyncio

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """Send Bot API requests with one shared aiohttp session and a bounded connection pool."""

    def __init__(
        self,
        connection_pool_size: int = 64,
        read_timeout: float | None = 15.0,
        write_timeout: float | None = 15.0,
        connect_timeout: float | None = 10.0,
        pool_timeout: float | None = 5.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """Return the default read timeout, as `BaseRequest` requires."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (no-op when open)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        """Close the session and its connections (no-op when closed)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; return the status code and the body."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        parameters = request_data.json_parameters if request_data else None
        data: aiohttp.FormData | dict[str, str] | None = parameters
        if files:
            form = aiohttp.FormData()
            for name, value in (parameters or {}).items():
                form.add_field(name, value)
            for name, (filename, content, mime) in files.items():
                form.add_field(name, content, filename=filename, content_type=mime)
            data = form

        def pick(value: ODVInput[float], default: float | None) -> float | None:
            return default if isinstance(value, DefaultValue) else value

        write = pick(write_timeout, self._media_write_timeout if files else self._write_timeout)
        read = pick(read_timeout, self._read_timeout)
        # aiohttp has no separate write timeout: the socket read limit covers the whole
        # exchange after connecting, so the longer of the two bounds it.
        sock_read = None if read is None and write is None else max(read or 0.0, write or 0.0)
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=pick(pool_timeout, self._pool_timeout),
            sock_connect=pick(connect_timeout, self._connect_timeout),
            sock_read=sock_read,
        )
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as reply:
                return reply.status, await reply.read()
        except asyncio.TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error
