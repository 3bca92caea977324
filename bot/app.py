"""The ASGI app: webhooks, health, and first-run setup; optionally the worker in-process.

`Runtime` holds what can change while the process runs: a server started in setup mode
becomes a configured app when the manifest flow writes the credentials, without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx2
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.context import Deps, build_github_app
from bot.health import health_response
from bot.jobs import build_registry
from bot.settings import CredentialState, Settings, load_settings
from bot.setup import ConfiguredApp, setup_routes
from bot.webhooks import receive
from bot.worker import Worker
from storage.db import SessionMaker, make_engine, make_sessionmaker

log = logging.getLogger(__name__)

CONFIGURED_PAGE = (
    "<!doctype html><title>AI Orchestrator</title><h1>AI Orchestrator is running</h1>"
    "<p>GitHub App {app_id} is configured. Webhooks are received at <code>/webhooks</code>; "
    "health is at <a href='/health'>/health</a>.</p>"
)


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionMaker
    http: httpx2.AsyncClient
    with_worker: bool
    deps: Deps | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    worker_task: asyncio.Task[None] | None = None

    def configure(self, settings: Settings) -> None:
        """Builds the configured dependencies and starts the worker if this process runs one."""
        self.settings = settings
        github = build_github_app(settings, self.http)
        self.deps = Deps(settings, self.engine, self.sessions, self.http, github)
        if self.with_worker and self.worker_task is None:
            worker = Worker(
                self.sessions,
                build_registry(),
                self.deps,
                concurrency=settings.worker_concurrency,
                lease_seconds=settings.job_lease_seconds,
                poll_seconds=settings.worker_poll_seconds,
            )
            self.worker_task = asyncio.create_task(worker.run(self.stop), name="worker")

    async def close(self) -> None:
        self.stop.set()
        if self.worker_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.worker_task


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def webhooks(request: Request) -> Response:
    runtime = _runtime(request)
    if runtime.deps is None:
        return JSONResponse({"message": "the GitHub App is not configured yet"}, status_code=503)
    return await receive(request, runtime.settings, runtime.sessions)


async def health(request: Request) -> Response:
    runtime = _runtime(request)
    return await health_response(
        runtime.sessions,
        max_heartbeat_age=runtime.settings.health_max_heartbeat_age,
        setup_mode=runtime.deps is None,
    )


async def home(request: Request) -> Response:
    return HTMLResponse(CONFIGURED_PAGE.format(app_id=_runtime(request).settings.github_app_id))


def create_app(
    settings: Settings,
    *,
    http: httpx2.AsyncClient | None = None,
    with_worker: bool = False,
) -> Starlette:
    """The app for `settings`; `http` is injectable so tests can put a fake GitHub behind it."""
    holder: dict[str, Runtime] = {}

    async def on_configured(_app: ConfiguredApp) -> None:
        runtime = holder["runtime"]
        runtime.configure(load_settings(_env_file=runtime.settings.env_file_path))
        log.info("GitHub App configured; leaving setup mode")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        client = http or httpx2.AsyncClient(timeout=30.0)
        runtime = Runtime(settings, engine, make_sessionmaker(engine), client, with_worker)
        holder["runtime"] = app.state.runtime = runtime
        if settings.credential_state is CredentialState.CONFIGURED:
            runtime.configure(settings)
        try:
            yield
        finally:
            await runtime.close()
            if http is None:
                await client.aclose()
            await engine.dispose()

    class Home:
        """`/` is the setup page until configured, then a short status page."""

        def __init__(self) -> None:
            self.setup: Starlette | None = None

        async def __call__(self, scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
            runtime = holder["runtime"]
            if runtime.deps is None:
                if self.setup is None:
                    self.setup = Starlette(routes=setup_routes(runtime.settings, runtime.http, on_configured))
                await self.setup(scope, receive, send)  # type: ignore[arg-type]
            else:
                await Starlette(routes=[Route("/", home)])(scope, receive, send)  # type: ignore[arg-type]

    routes: list[BaseRoute] = [
        Route("/webhooks", webhooks, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.mount("/", Home())  # type: ignore[arg-type]
    return app
