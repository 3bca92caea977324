"""The ASGI app: webhooks, health, and first-run setup; optionally the worker in-process, and
the webhook proxy when WEBHOOK_PROXY_URL is set (or setup mode creates a channel).

`Runtime` holds what can change while the process runs: a server started in setup mode
becomes a configured app when the manifest flow writes the credentials, without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import timedelta

import httpx2
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.deps import AgentFactory, Deps, build_agents, build_github_app, build_plugins
from bot.github.ratelimit import Sleep
from bot.queue.doorbell import Doorbell
from bot.queue.jobs import build_registry
from bot.queue.maintenance import schedule_periodic
from bot.queue.worker import Worker
from bot.settings import CREDENTIAL_FIELDS, CredentialState, Settings, load_settings
from bot.web.access import AccessError, SecurityHeaders, access_error_page, access_routes
from bot.web.accesslog import AccessLog
from bot.web.api import api_routes
from bot.web.dashboard import dashboard_routes
from bot.web.dashboard import home as dashboard_home
from bot.web.health import health_response
from bot.web.intake import DeliveryIntake
from bot.web.manifest import CALLBACK_PATH
from bot.web.metrics import metrics
from bot.web.proxy import LOOPBACK_BASE_URL, ProxyConfig, ProxyRunner
from bot.web.registration import ConfiguredApp
from bot.web.setup import setup_routes
from bot.web.webhooks import receive
from storage.db import SessionMaker, make_engine, make_sessionmaker
from storage.sqlite_batch import sqlite_writer

log = logging.getLogger(__name__)

# Setup mode copies these from the env file it just wrote; the rest of the settings stay.
RELOADED_FIELDS = (*CREDENTIAL_FIELDS, "webhook_proxy_url")


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionMaker
    http: httpx2.AsyncClient
    with_worker: bool
    proxy: ProxyRunner
    agent_factory: AgentFactory = build_agents
    # How the GitHub client waits (rate limits, retries): tests record the waits instead.
    github_sleep: Sleep = asyncio.sleep
    intake: DeliveryIntake = field(init=False)
    deps: Deps | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    worker_task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.intake = DeliveryIntake(self.sessions, sqlite_writer(self.engine))

    def configure(self, settings: Settings) -> None:
        """Builds the configured dependencies and starts the worker if this process runs one."""
        self.settings = settings
        github = build_github_app(settings, self.http, sleep=self.github_sleep)
        job_sessions = self.job_sessions()
        agents = self.agent_factory(settings, job_sessions)
        plugins = build_plugins(settings)
        self.deps = Deps(
            settings, self.engine, self.sessions, self.http, github, agents=agents, plugins=plugins
        )
        if self.with_worker and self.worker_task is None:
            worker = Worker(
                self.sessions,
                build_registry(),
                replace(self.deps, sessions=job_sessions),
                concurrency=settings.worker_concurrency,
                lease_seconds=settings.job_lease_seconds,
                poll_seconds=settings.worker_poll_seconds,
                transient_budget=timedelta(seconds=settings.job_transient_budget_seconds),
                doorbell=Doorbell(settings.database_url),
                on_beat=lambda: schedule_periodic(self.sessions),
                yield_to=self.intake.idle,
            )
            self.worker_task = asyncio.create_task(worker.run(self.stop), name="worker")

    def job_sessions(self) -> SessionMaker:
        """The sessions of the jobs this process runs. In `serve` on SQLite each one waits until
        the intake is quiet (`DeliveryIntake.idle`): the process has one connection, and a
        job's transaction holds it over several turns of the loop, each one long under load,
        while the deliveries of a burst wait behind it. At 64 connections the jobs under way
        when a burst began set the webhook p99 (up to 30 ms a transaction). A job therefore
        pauses between its steps until the burst is over; the worker's own bookkeeping (claims,
        which already wait, lease renewals, completions) does not, so no lease runs out."""
        if not self.with_worker or self.intake.writer is None:
            return self.sessions
        return make_sessionmaker(self.engine, wait_for=self.intake.idle)

    async def close(self) -> None:
        await self.proxy.close()  # first: it posts to the intake the rest is stopping
        self.stop.set()
        if self.worker_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.worker_task
        await self.intake.close()


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def webhooks(request: Request) -> Response:
    runtime = _runtime(request)
    if runtime.deps is None:
        return JSONResponse({"message": "the GitHub App is not configured yet"}, status_code=503)
    return await receive(request, runtime.settings, runtime.intake)


async def health(request: Request) -> Response:
    runtime = _runtime(request)
    return await health_response(
        runtime.sessions,
        max_heartbeat_age=runtime.settings.health_max_heartbeat_age,
        setup_mode=runtime.deps is None,
    )


def _configured_settings(current: Settings) -> Settings:
    """`current` with the credentials the manifest flow just wrote to the env file."""
    fresh = load_settings(_env_file=current.env_file_path)
    return current.model_copy(update={name: getattr(fresh, name) for name in RELOADED_FIELDS})


def _loopback(app: Starlette) -> httpx2.AsyncClient:
    """A client whose requests go straight into `app`: how the proxy reaches /webhooks."""
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=LOOPBACK_BASE_URL)


def create_app(
    settings: Settings,
    *,
    http: httpx2.AsyncClient | None = None,
    with_worker: bool = False,
    agent_factory: AgentFactory = build_agents,
    proxy_config: ProxyConfig | None = None,
    github_sleep: Sleep = asyncio.sleep,
) -> Starlette:
    """The app for `settings`; `http` and `agent_factory` are injectable so tests can put a fake
    GitHub and a scripted model behind it, `proxy_config` a local channel server, and
    `github_sleep` record the GitHub client's waits rather than wait."""
    client = http or httpx2.AsyncClient(timeout=30.0)
    holder: dict[str, Runtime] = {}

    async def on_configured(_app: ConfiguredApp) -> None:
        runtime = holder["runtime"]
        runtime.configure(_configured_settings(runtime.settings))
        log.info("GitHub App configured; leaving setup mode")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        runtime = Runtime(
            settings,
            engine,
            make_sessionmaker(engine),
            client,
            with_worker,
            proxy,
            agent_factory,
            github_sleep,
        )
        holder["runtime"] = app.state.runtime = runtime
        if settings.credential_state is CredentialState.CONFIGURED:
            runtime.configure(settings)
        if settings.webhook_proxy_url:
            proxy.start(settings.webhook_proxy_url)
        try:
            yield
        finally:
            await runtime.close()
            if http is None:
                await client.aclose()
            await engine.dispose()

    async def home(request: Request) -> Response:
        runtime = _runtime(request)
        if runtime.deps is None:
            return await setup["/"](request)  # type: ignore[no-any-return]
        return await dashboard_home(request)

    async def setup_callback(request: Request) -> Response:
        if _runtime(request).deps is not None:
            return RedirectResponse("/", status_code=303)
        return await setup[CALLBACK_PATH](request)  # type: ignore[no-any-return]

    routes: list[BaseRoute] = [
        Route("/webhooks", webhooks, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/", home, methods=["GET"]),
        Route(CALLBACK_PATH, setup_callback, methods=["GET"]),
        *dashboard_routes(),
        *access_routes(),
        *api_routes(),
    ]
    # One access-log line per request, ours (uvicorn's is off: bot/web/accesslog.py).
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(AccessLog), Middleware(SecurityHeaders)],
        exception_handlers={AccessError: access_error_page},
    )
    # An event is up to 25 MB of payload, sent by smee.io as JSON inside JSON, perhaps twice.
    max_event_bytes = 3 * settings.webhook_max_bytes
    proxy = ProxyRunner(proxy_config or ProxyConfig(), _loopback(app), max_event_bytes)
    setup = {
        route.path: route.endpoint
        for route in setup_routes(settings, client, on_configured, proxy=proxy)
        if isinstance(route, Route)
    }
    return app
