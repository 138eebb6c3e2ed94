"""Retries, ordering and opt-outs: the delivery rules shared by the channels."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels import base
from bot.channels.base import (
    ChannelStats,
    PermanentFailure,
    PersonLocks,
    RetryPolicy,
    TemporaryFailure,
    Unreachable,
    with_retries,
)
from bot.optouts import OptOutStore


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []
    real_sleep = asyncio.sleep

    async def record(delay: float) -> None:
        waited.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(base.asyncio, "sleep", record)
    return waited


def failing(*failures: Exception):  # type: ignore[no-untyped-def]
    calls = {"n": 0}

    async def attempt() -> str:
        calls["n"] += 1
        if calls["n"] <= len(failures):
            raise failures[calls["n"] - 1]
        return "sent"

    attempt.calls = calls  # type: ignore[attr-defined]
    return attempt


async def test_a_429_waits_exactly_retry_after_then_sends(sleeps: list[float]) -> None:
    stats = ChannelStats()
    result = await with_retries(failing(TemporaryFailure("429", 7)), RetryPolicy(), stats)
    assert result == "sent" and sleeps == [7] and stats.retried == 1


async def test_network_errors_back_off_exponentially_then_give_up(sleeps: list[float]) -> None:
    policy = RetryPolicy(attempts=4, base_delay=1.0)
    attempt = failing(*[TemporaryFailure("503")] * 4)
    with pytest.raises(TemporaryFailure):
        await with_retries(attempt, policy, ChannelStats())
    assert attempt.calls["n"] == 4 and len(sleeps) == 3
    assert 0.75 <= sleeps[0] <= 1.25 and 1.5 <= sleeps[1] <= 2.5 and 3 <= sleeps[2] <= 5


@pytest.mark.parametrize("error", [Unreachable("blocked"), PermanentFailure("400")])
async def test_blocked_and_refused_sends_are_not_retried(
    sleeps: list[float], error: Exception
) -> None:
    attempt = failing(error)
    with pytest.raises(type(error)):
        await with_retries(attempt, RetryPolicy(), ChannelStats())
    assert attempt.calls["n"] == 1 and not sleeps


async def test_one_persons_turns_run_in_arrival_order() -> None:
    locks = PersonLocks()
    order: list[str] = []

    async def turn(person: str, name: str, delay: float) -> None:
        async with locks.hold(person):
            order.append(f"{name} start")
            await asyncio.sleep(delay)
            order.append(f"{name} end")

    await asyncio.gather(turn("p", "first", 0.05), turn("p", "second", 0), turn("q", "other", 0))
    assert order.index("first end") < order.index("second start")
    assert order.index("other end") < order.index("first end"), "others do not wait"
    assert len(locks) == 0, "unused locks are dropped"


def test_opt_outs_are_kept_by_pseudonym_and_cleared(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = OptOutStore.from_url(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    store.mark("tg-abc", "telegram", "blocked")
    store.mark("tg-abc", "telegram", "stop")
    assert store.is_opted_out("tg-abc") and store.count() == 1
    store.clear("tg-abc")
    assert not store.is_opted_out("tg-abc")
    with pytest.raises(ValueError):
        store.mark("tg-abc", "telegram", "because")
