"""Driving the real ASGI app in tests: signed deliveries in, the worker draining jobs after.

The app runs with its lifespan inside the test's event loop (httpx2's ASGITransport), its
HTTP client wired to the fake GitHub, and the worker drained explicitly so tests see each
step's effects deterministically.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx2
from starlette.applications import Starlette

from bot.deps import AgentFactory, build_agents
from bot.github.ratelimit import Sleep
from bot.queue.jobs import build_registry
from bot.queue.worker import Worker
from bot.settings import Settings
from bot.web.app import Runtime, create_app
from tests.fakegithub import FakeGitHub


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_headers(
    event: str, body: bytes, secret: str | None, *, delivery_id: str | None = None
) -> dict[str, str]:
    headers = {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": delivery_id or str(uuid.uuid4()),
        "user-agent": "GitHub-Hookshot/test",
    }
    if secret is not None:
        headers["x-hub-signature-256"] = sign(body, secret)
    return headers


@dataclass
class RunningApp:
    app: Starlette
    client: httpx2.AsyncClient
    settings: Settings
    workflow: bool = True  # False: the workflow's jobs stay queued (tests of the foundation)

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    async def deliver(
        self, event: str, payload: dict[str, Any] | bytes, *, delivery_id: str | None = None
    ) -> httpx2.Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        secret = self.settings.webhook_secret()
        headers = webhook_headers(event, body, secret, delivery_id=delivery_id)
        return await self.client.post("/webhooks", content=body, headers=headers)

    def worker(self) -> Worker:
        assert self.runtime.deps is not None
        registry = build_registry(workflow=self.workflow)
        budget = timedelta(seconds=self.settings.job_transient_budget_seconds)
        return Worker(
            self.runtime.sessions,
            registry,
            self.runtime.deps,
            lease_seconds=30,
            transient_budget=budget,
        )

    async def drain(self) -> int:
        return await self.worker().drain()

    async def deliver_all(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for event, payload in events:
            response = await self.deliver(event, payload)
            assert response.status_code in (200, 202), response.text

    async def settle(self, fake: FakeGitHub, *, rounds: int = 200) -> int:
        """Runs jobs and delivers the webhooks the app's own requests caused (as GitHub
        would) until nothing is left to do; returns how many jobs ran."""
        ran = 0
        for _ in range(rounds):
            ran_now = await self.drain()
            events, fake.outbox[:] = list(fake.outbox), []
            await self.deliver_all(events)
            ran += ran_now
            if not ran_now and not events:
                return ran
        raise AssertionError(f"the app did not settle in {rounds} rounds")


@asynccontextmanager
async def running_app(
    settings: Settings,
    http: httpx2.AsyncClient,
    *,
    agent_factory: AgentFactory = build_agents,
    workflow: bool = True,
    github_sleep: Sleep = asyncio.sleep,
) -> AsyncIterator[RunningApp]:
    app = create_app(settings, http=http, agent_factory=agent_factory, github_sleep=github_sleep)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield RunningApp(app, client, settings, workflow)
