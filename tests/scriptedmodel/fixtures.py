"""Fixtures: the scripted model, the agents' settings and runtime over it and the test database.

    def test_x(scripted_model, make_runtime): rt = make_runtime("anthropic")

(`make_runtime(provider)` sets every role to that provider; no provider keeps the defaults.)
`model_http` runs the test's `in_flight` actions (`tests.scriptedmodel.inflight`) before it
answers a request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import pytest

from agents.runtime import AgentRuntime, build_runtime
from storage.db import SessionMaker
from tests.scriptedmodel.inflight import InFlight
from tests.scriptedmodel.model import ScriptedModel
from tests.scriptedmodel.runtime import FakeClock, RuntimeFactory, agent_settings


@pytest.fixture
def scripted_model() -> Iterator[ScriptedModel]:
    model = ScriptedModel()
    yield model
    steps = [request.step for request in model.unanswered]
    assert not steps, f"the scripted model had no answer for {steps}"


@pytest.fixture
def in_flight() -> InFlight:
    return InFlight()


@pytest.fixture
async def model_http(
    scripted_model: ScriptedModel, in_flight: InFlight
) -> AsyncIterator[httpx2.AsyncClient]:
    """The scripted model, with the test's in-flight actions run before each answer."""

    async def handle(request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        recorded = scripted_model.recorded(request)
        if recorded is not None:
            await in_flight.run(recorded)
        return scripted_model.handle(request)

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handle)) as client:
        yield client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_runtime(
    sessions: SessionMaker, model_http: httpx2.AsyncClient, clock: FakeClock
) -> RuntimeFactory:
    def make(
        provider: str | None = None, *, secrets: tuple[str, ...] = (), **overrides: Any
    ) -> AgentRuntime:
        settings = agent_settings(provider, **overrides)
        return build_runtime(
            settings, sessions, http_client=model_http, secrets=secrets, clock=clock
        )

    return make


@pytest.fixture
def agent_runtime(make_runtime: RuntimeFactory) -> AgentRuntime:
    """The runtime with the default roles (manager, validator, git, integration on OpenAI;
    developer on Anthropic)."""
    return make_runtime()
