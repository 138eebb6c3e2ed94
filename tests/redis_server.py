"""A throwaway Redis server on loopback, from Debian's `redis-server`, for tests and benches.

`ThrowawayRedis.start()` runs redis-server on 127.0.0.1 and a free port, with nothing saved to
disk (no RDB, no AOF) and a temporary working folder. It raises `RedisUnavailable` with the
reason when there is no binary or the server does not start; the tests then skip with it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from bot.server import free_port
from tests.postgres import stop_process, wait_for_port


class RedisUnavailable(RuntimeError):
    """No Redis server can be started here; the message says why."""


class ThrowawayRedis:
    """One Redis server for a test session."""

    def __init__(self) -> None:
        self.port = 0
        self.folder: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ThrowawayRedis:
        """Start the server; raise RedisUnavailable if impossible."""
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise RedisUnavailable("redis-server not found (install Debian's 'redis-server' "
                                   "package; .ci/run does)")
        self.folder = Path(tempfile.mkdtemp(prefix="migrant-bot-redis-"))
        self.port = free_port()
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder), "--protected-mode", "yes",
             "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_for_port(self.port, 15):
            self.stop()
            raise RedisUnavailable("redis-server did not start")
        return self

    def url(self, db: int = 0) -> str:
        """Return the REDIS_URL of database `db` on this server."""
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        stop_process(self.process)
        self.process = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def everything_stored(url: str) -> bytes:
    """Return every key and value of the Redis database at `url`, as Redis holds them.

    Values are read with the command of their type (DUMP would compress long strings and hide
    a text from a search). Fails when a key never expires: nothing in Redis is kept for good.
    """
    import redis

    client = redis.Redis.from_url(url)
    try:
        stored = b""
        for key in client.keys("*"):
            assert client.ttl(key) > 0, f"{key!r} never expires"
            kind = client.type(key)
            if kind == b"string":
                value = client.get(key) or b""
            elif kind == b"list":
                value = b"\n".join(client.lrange(key, 0, -1))
            elif kind == b"hash":
                value = b"\n".join(k + b"=" + v for k, v in client.hgetall(key).items())
            elif kind == b"set":
                value = b"\n".join(client.smembers(key))
            else:
                value = client.dump(key) or b""
            stored += key + b"\n" + value + b"\n"
        return stored
    finally:
        client.close()
