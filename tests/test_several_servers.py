"""Several identical servers behind a plain load balancer, sharing PostgreSQL and Redis.

Two `migrant-bot serve` instances (as two machines would run them) share one database (the
throwaway PostgreSQL when there is one, else a SQLite file) and one Redis; Debian's nginx
spreads the webhooks over them round robin, with no stickiness. Telegram chats write through
nginx; the fake Bot API records what each chat receives. Each chat sends the channel's own
commands in a fixed order, so that each answer says which message it answers:

* each person's messages are answered in order and none twice;
* an instance SIGKILLed mid-flood loses nothing (the other takes its messages when their lease
  runs out; nginx passes requests the dead one never answered to the other);
* a rolling restart under 20 messages a second loses nothing, answers nothing twice and gives
  no 5xx;
* the MORE buffer is shared: the rest of an SMS answer kept by one instance is sent by the
  other;
* Redis holds no chat id, number or message text.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.content import load_content
from bot.paths import CONTENT_DIR
from bot.server import free_port
from tests.conftest import (
    RunningServer,
    channel_env,
    kill_server,
    start_server,
    stop_server,
)
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.nginx import NginxUnavailable, ThrowawayNginx
from tests.postgres import PostgresUnavailable, ThrowawayPostgres
from tests.redis_server import ThrowawayRedis, everything_stored

CONTENT = load_content(CONTENT_DIR)
SEQUENCE = ["/start", "/language", "/help", "/language", "/start", "/help"]
_ids = itertools.count(random.randrange(10**6, 10**7))


def kind_of(text: str) -> str:
    """Return which command a reply answers."""
    if CONTENT.message("greeting", "en") in text:
        return "/start"
    if CONTENT.message("ask_language", "en") in text:
        return "/language"
    if CONTENT.message("menu_title", "en") in text:
        return "/help"
    return "other"


class Cluster:
    """Two serve instances, nginx in front, and what it takes to restart one."""

    def __init__(self, folder: Path, env: dict[str, str], nginx: ThrowawayNginx,
                 servers: list[RunningServer], ports: list[int]) -> None:
        self.folder = folder
        self.env = env
        self.nginx = nginx
        self.servers = servers
        self.ports = ports

    @property
    def front(self) -> RunningServer:
        """Return the balancer, to post webhooks to as Telegram and Twilio would."""
        return RunningServer(self.servers[0].process, self.nginx.url, self.folder / "x.log")

    def restart(self, index: int, kill: bool = False) -> None:
        """Stop instance `index` (SIGTERM, or SIGKILL of its whole group) and start it again."""
        old = self.servers[index]
        if kill:
            kill_server(old)
        else:
            assert stop_server(old) == 0
        self.servers[index] = self.start(index)

    def start(self, index: int) -> RunningServer:
        return start_server(self.folder / f"serve{index}.log", self.env,
                            port=self.ports[index], own_session=True)

    def uncertain(self) -> int:
        total = 0
        for server in self.servers:
            with urllib.request.urlopen(f"{server.url}/webhooks/telegram/", timeout=5) as reply:
                total += json.load(reply)["uncertain"]
        return total


@pytest.fixture(scope="module")
def cluster(model: Path, tmp_path_factory: pytest.TempPathFactory,
            fake_telegram: FakeTelegram, fake_twilio: FakeTwilio,
            redis_server: ThrowawayRedis) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("cluster")
    env = {**channel_env(fake_telegram, fake_twilio, folder / "shared.sqlite3"),
           "REDIS_URL": redis_server.url(5), "INBOX_LEASE_SECONDS": "10",
           "TELEGRAM_SEND_RATE": "0", "TWILIO_SEND_MPS": "0"}
    ports = [free_port(), free_port()]
    try:
        nginx = ThrowawayNginx(ports).start()
    except NginxUnavailable as error:
        pytest.skip(f"no nginx: {error}")
    postgres: ThrowawayPostgres | None = ThrowawayPostgres()
    cluster = Cluster(folder, env, nginx, [], ports)
    try:
        try:
            env["DATABASE_URL"] = postgres.start().create_database()  # type: ignore[union-attr]
        except PostgresUnavailable:
            postgres = None  # two processes on one SQLite file instead
        cluster.servers = [cluster.start(0), cluster.start(1)]
        yield cluster
    finally:
        for server in cluster.servers:
            if server.process.poll() is None:
                stop_server(server)
        nginx.stop()
        if postgres is not None:
            postgres.stop()


def update(chat_id: int, text: str) -> dict[str, Any]:
    return {"update_id": next(_ids), "message": {
        "message_id": next(_ids) % 10**6, "date": 1700000000, "text": text,
        "chat": {"id": chat_id, "type": "private", "first_name": "A"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "A", "language_code": "en"}}}


class Flood:
    """Chats writing through the balancer at a steady total rate, in threads."""

    def __init__(self, cluster: Cluster, fake: FakeTelegram, chats: int, rate: float,
                 rounds: int = 1) -> None:
        fake.reset()
        self.cluster = cluster
        self.fake = fake
        self.stop = threading.Event()
        self.chats = [random.randrange(10**8, 10**9) for _ in range(chats)]
        self.rate = rate
        self.rounds = rounds
        self.statuses: Counter[int] = Counter()
        self.expected = {chat: [] for chat in self.chats}  # type: dict[int, list[str]]
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        interval = 1 / self.rate
        next_at = time.monotonic()
        for text in SEQUENCE * self.rounds:
            if self.stop.is_set():
                return
            for chat in self.chats:
                next_at += interval
                time.sleep(max(0.0, next_at - time.monotonic()))
                status = self._post(update(chat, text))
                with self._lock:
                    self.statuses[status] += 1
                    if status == 200:
                        self.expected[chat].append(text)

    def _post(self, body: dict[str, Any]) -> int:
        for _ in range(3):  # as Telegram retries an update that got no 2xx
            try:
                status, _ = self.cluster.front.telegram(body)
            except OSError:
                status = 0
            if status == 200:
                return 200
            time.sleep(1)
        return status

    def start(self) -> Flood:
        self._thread.start()
        return self

    def join(self) -> None:
        self._thread.join()

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    def outcome(self, uncertain: int) -> tuple[int, int, list[str]]:
        """Wait for the answers; return (missing, doubled, chats answered out of order)."""
        total = sum(len(texts) for texts in self.expected.values())
        deadline = time.monotonic() + 180
        # A cheap check twice a second: a predicate run on every recorded call would hold the
        # fake's (and this process's) interpreter lock through the flood.
        while (len(self.fake.sent_messages()) < total - uncertain
               and time.monotonic() < deadline):
            time.sleep(0.5)
        time.sleep(2)
        missing = doubled = 0
        disorder = []
        for chat, texts in self.expected.items():
            got = [kind_of(m["text"]) for m in self.fake.sent_messages(chat)]
            missing += max(0, len(texts) - len(got))
            doubled += max(0, len(got) - len(texts))
            if not _in_order(got, texts):
                disorder.append(f"{texts} -> {got}")
        return missing, doubled, disorder


def _in_order(got: list[str], expected: list[str]) -> bool:
    """Return True when `got` is `expected`, or `expected` with some answers missing."""
    position = 0
    for kind in got:
        while position < len(expected) and expected[position] != kind:
            position += 1
        if position == len(expected):
            return False
        position += 1
    return True


def test_each_persons_messages_are_answered_in_order_once_by_either_server(
    cluster: Cluster, fake_telegram: FakeTelegram,
) -> None:
    flood = Flood(cluster, fake_telegram, chats=10, rate=20).start()
    flood.join()
    missing, doubled, disorder = flood.outcome(uncertain=0)
    assert flood.statuses == Counter({200: flood.sent})
    assert (missing, doubled, disorder) == (0, 0, [])


def test_an_instance_killed_mid_flood_loses_nothing(
    cluster: Cluster, fake_telegram: FakeTelegram,
) -> None:
    flood = Flood(cluster, fake_telegram, chats=12, rate=20).start()
    time.sleep(1.5)
    cluster.restart(0, kill=True)
    flood.join()
    uncertain = cluster.uncertain()
    missing, doubled, disorder = flood.outcome(uncertain)
    print(f"kill: sent {flood.sent}, statuses {dict(flood.statuses)}, uncertain {uncertain}, "
          f"missing {missing}, doubled {doubled}")
    assert flood.statuses == Counter({200: flood.sent}), "nginx passed on what the dead missed"
    assert doubled == 0 and not disorder
    assert missing <= uncertain, "only a send in flight at the kill may be missing"


def test_a_rolling_restart_under_20_messages_a_second_loses_nothing(
    cluster: Cluster, fake_telegram: FakeTelegram,
) -> None:
    flood = Flood(cluster, fake_telegram, chats=10, rate=20, rounds=1000).start()
    time.sleep(2)
    for index in (0, 1):
        cluster.restart(index)
        time.sleep(2)
    flood.stop.set()
    flood.join()
    missing, doubled, disorder = flood.outcome(uncertain=0)
    print(f"rolling restart: sent {flood.sent}, statuses {dict(flood.statuses)}, "
          f"uncertain {cluster.uncertain()}, missing {missing}, doubled {doubled}")
    assert flood.statuses == Counter({200: flood.sent}), "no 5xx, nothing refused"
    assert (missing, doubled, disorder) == (0, 0, [])


def test_the_rest_of_an_sms_answer_is_kept_for_whichever_server_gets_more(
    cluster: Cluster, fake_twilio: FakeTwilio, redis_server: ThrowawayRedis,
) -> None:
    number = f"+2126{random.randrange(10**7, 10**8)}"
    first, second = cluster.servers
    question = "كيف أحمي نفسي من فيروس نقص المناعة؟ وهل الفحص مجاني؟ وأين أجد العلاج في مصر؟"
    params = {"AccountSid": "", "From": number, "To": "", "NumMedia": "0"}

    def sms(server: RunningServer, body: str) -> None:
        from tests.conftest import SMS_FROM, TWILIO_SID
        form = {**params, "AccountSid": TWILIO_SID, "To": SMS_FROM, "Body": body,
                "MessageSid": f"SM{next(_ids):032x}"}
        assert server.twilio(form)[0] == 200

    sms(first, question)
    assert fake_twilio.wait_for(lambda fake: len(fake.sent_messages(number)) >= 1, 30)
    if "المزيد" not in fake_twilio.sent_messages(number)[0]["Body"]:
        pytest.skip("this answer fitted one SMS; nothing was kept for MORE")
    sms(second, "المزيد")
    assert fake_twilio.wait_for(lambda fake: len(fake.sent_messages(number)) >= 2, 30)
    rest = fake_twilio.sent_messages(number)[1]["Body"]
    assert rest and rest != fake_twilio.sent_messages(number)[0]["Body"]
    # Every key of the shared Redis, conversations (Rasa's tracker store) included.
    stored = everything_stored(redis_server.url(5))
    assert b"tracker" in stored, "the conversations are in this Redis"
    assert number.lstrip("+").encode() not in stored
    assert "فيروس".encode() not in stored and rest[:20].encode() not in stored
    for server in cluster.servers:
        log = server.log.read_text(errors="replace")
        assert number.lstrip("+") not in log and "فيروس" not in log
