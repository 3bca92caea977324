"""Schemathesis against /api/v1/openapi.json: generated requests (valid and not) to every
endpoint never get a 5xx, and every answer conforms to the document (status, content type,
headers, body).

The app runs in a thread of its own, with its own event loop (Hypothesis drives the test
synchronously), on the fake GitHub, signed in as a writer who can see one project.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import httpx2
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bot.settings import Settings
from bot.web.api.endpoints import ENDPOINTS
from bot.web.api.openapi import build_openapi
from tests.apphelpers import RunningApp, running_app
from tests.fakegithub import FakeGitHub
from tests.web.signin import add_project

BASE = "http://testserver/api/v1"
schema = schemathesis.openapi.from_dict(build_openapi(ENDPOINTS, server=BASE))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


class ServedApp:
    """The app in a background event loop; `send` runs one request there and waits."""

    def __init__(self, settings: Settings, fake: FakeGitHub) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.settings, self.fake = settings, fake
        self.ready: Future[RunningApp] = Future()
        self.stop: asyncio.Event | None = None
        self.serving: Future[None] | None = None

    def start(self) -> RunningApp:
        self.thread.start()
        self.serving = asyncio.run_coroutine_threadsafe(self._serve(), self.loop)
        return self.ready.result(timeout=60)

    async def _serve(self) -> None:
        self.stop = asyncio.Event()
        try:
            async with self.fake.client() as http, running_app(self.settings, http) as app:
                await add_project(app, self.fake)
                self.ready.set_result(app)
                await self.stop.wait()
        except BaseException as exc:  # the test fails with it rather than hanging
            if not self.ready.done():
                self.ready.set_exception(exc)
            raise

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    def close(self) -> None:
        """Leaves the app's lifespan in its own loop, then stops the loop."""
        if self.stop is not None and self.serving is not None:
            self.loop.call_soon_threadsafe(self.stop.set)
            self.serving.result(timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()


@pytest.fixture
def served(
    access_app_settings: Settings, fake_github: FakeGitHub
) -> Iterator[tuple[ServedApp, RunningApp]]:
    server = ServedApp(access_app_settings, fake_github)
    app = server.start()
    yield server, app
    server.close()


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_conforms_to_its_own_description(
    case: schemathesis.Case[Any], served: tuple[ServedApp, RunningApp], fake_github: FakeGitHub
) -> None:
    server, app = served
    token = fake_github.user_token("writer")
    kwargs = case.as_transport_kwargs(base_url=BASE, headers={"authorization": f"Bearer {token}"})
    request = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": kwargs.get("headers"),
        "params": kwargs.get("params"),
    }
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        request["content"] = kwargs["data"]
    response: httpx2.Response = server.run(app.client.request(**request))
    case.validate_response(response, checks=CHECKS)
