"""The per-provider rate limiter: a burst over a limit waits (on an injected clock) instead of
failing, for the minute and the hour, and the call path goes through it."""

from __future__ import annotations

import asyncio

import httpx2
import pytest

from agents.inputs import Brief
from agents.manager import Manager
from agents.ratelimit import RateLimiter
from agents.runtime import build_runtime
from agents.settings import ProviderName
from storage.db import SessionMaker
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.scriptedmodel.runtime import agent_settings


class FakeTime:
    """A monotonic clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def started_at(limiter: RateLimiter, time: FakeTime, count: int) -> list[float]:
    starts: list[float] = []

    async def one() -> None:
        await limiter.acquire()
        starts.append(time.now - 1000.0)

    await asyncio.gather(*(one() for _ in range(count)))
    return starts


async def test_a_burst_over_the_minute_limit_waits() -> None:
    time = FakeTime()
    limiter = RateLimiter(per_minute=3, per_hour=100, clock=time.clock, sleep=time.sleep)

    starts = await started_at(limiter, time, 7)

    assert starts == [0, 0, 0, 60, 60, 60, 120]
    assert limiter.waited_seconds == 120


async def test_requests_spread_out_only_wait_as_long_as_needed() -> None:
    time = FakeTime()
    limiter = RateLimiter(per_minute=2, per_hour=100, clock=time.clock, sleep=time.sleep)
    await limiter.acquire()
    time.now += 45
    await limiter.acquire()

    await limiter.acquire()

    assert time.sleeps == [15]  # until the first request is a minute old


async def test_the_hour_limit_waits_too() -> None:
    time = FakeTime()
    limiter = RateLimiter(per_minute=10, per_hour=4, clock=time.clock, sleep=time.sleep)

    starts = await started_at(limiter, time, 5)

    assert starts == [0, 0, 0, 0, 3600]


def test_limits_must_allow_a_request() -> None:
    with pytest.raises(ValueError, match="at least one request"):
        RateLimiter(per_minute=0, per_hour=10)


async def test_the_call_path_waits_for_the_providers_limiter(
    scripted_model: ScriptedModel, sessions: SessionMaker, model_http: httpx2.AsyncClient
) -> None:
    scripted_model.script("manager.brainstorm", ScriptedProject(phases=1).brainstorm())
    time = FakeTime()
    settings = agent_settings("openai", openai_requests_per_minute=2)
    rt = build_runtime(
        settings, sessions, http_client=model_http, monotonic=time.clock, sleep=time.sleep
    )
    manager = Manager(rt)

    for number in range(3):
        await manager.brainstorm(1, Brief(title=f"Issue {number}", body="Build it."))

    assert len(scripted_model.requests) == 3
    assert time.sleeps == [60]
    assert rt.limiters[ProviderName.OPENAI] is not rt.limiters[ProviderName.ANTHROPIC]
