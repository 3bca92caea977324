"""CLI commands of the running app: serve, web, worker, doctor, db, replay, deliveries."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from datetime import timedelta
from typing import Any

import httpx2

from bot.cli.database import migrate, require_schema, run_with_sessions
from bot.cli.doctor import run_doctor
from bot.deps import Deps, build_agents, build_github_app, build_plugins, secret_values
from bot.heap import settle_heap
from bot.logs import configure_logging
from bot.preflight import app_problems, preflight, preflight_server, require
from bot.queue.dispatch import run_delivery, stored_delivery
from bot.queue.doorbell import Doorbell
from bot.queue.jobs import build_registry
from bot.queue.maintenance import schedule_periodic
from bot.queue.worker import Worker
from bot.settings import Settings, load_settings
from bot.web.app import create_app
from bot.web.server import Server, uvicorn_config
from storage.db import SessionMaker, make_engine, make_sessionmaker
from storage.deliveries import Delivery, recent_deliveries
from storage.migrate import head_revision

log = logging.getLogger(__name__)


def _start_logging(settings: Settings) -> None:
    configure_logging(settings.log_level, settings.log_format, secret_values(settings))


def _migrate(settings: Settings) -> None:
    for migration in migrate(settings):
        log.info("applied migration %s: %s", migration.revision, migration.title)


def _serve(*, with_worker: bool) -> int:
    settings = load_settings()
    listener = preflight_server(settings)  # before migrations: a taken port stops us at once
    with listener:
        if not settings.auto_migrate:
            require_schema(settings)  # a check, so before anything starts
        _start_logging(settings)
        if settings.auto_migrate:
            _migrate(settings)  # logged as it goes: a long migration shows its progress
        app = create_app(settings, with_worker=with_worker)
        config = uvicorn_config(app, settings.host, settings.port)
        log.info("listening on http://%s:%d", settings.host, settings.port)
        Server(config, app).run(sockets=[listener])  # says where setup mode is, once bound
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    return _serve(with_worker=True)


def _cmd_web(args: argparse.Namespace) -> int:
    return _serve(with_worker=False)


async def _run_worker(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with httpx2.AsyncClient(timeout=30.0) as http:
        sessions = make_sessionmaker(engine)
        github = build_github_app(settings, http)
        agents = build_agents(settings, sessions)
        plugins = build_plugins(settings)
        deps = Deps(settings, engine, sessions, http, github, agents=agents, plugins=plugins)
        worker = Worker(
            sessions,
            build_registry(),
            deps,
            concurrency=settings.worker_concurrency,
            lease_seconds=settings.job_lease_seconds,
            poll_seconds=settings.worker_poll_seconds,
            transient_budget=timedelta(seconds=settings.job_transient_budget_seconds),
            doorbell=Doorbell(settings.database_url),
            on_beat=lambda: schedule_periodic(sessions),
        )
        settle_heap()  # what start-up built is never garbage (bot/heap.py)
        await worker.run(stop)
    await engine.dispose()


def _cmd_worker(args: argparse.Namespace) -> int:
    settings = load_settings()
    preflight(settings, needs_app="the worker")
    require_schema(settings)
    _start_logging(settings)
    asyncio.run(_run_worker(settings))
    return 0


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    applied = migrate(load_settings())
    for migration in applied:
        print(f"applied {migration.revision}: {migration.title}")
    head = head_revision()
    print(f"database at head {head}" if applied else f"already at head {head}")
    return 0


async def replay_delivery(
    settings: Settings, delivery_id: str, *, http: httpx2.AsyncClient
) -> str | None:
    """Runs a stored delivery through the handlers again; its status, or None if unknown.
    The App's credentials are needed only once there is a delivery to run."""
    engine = make_engine(settings.database_url)
    try:
        sessions = make_sessionmaker(engine)
        delivery = await stored_delivery(sessions, delivery_id)
        if delivery is None:
            return None
        require(app_problems(settings, "replay"))
        github, plugins = build_github_app(settings, http), build_plugins(settings)
        deps = Deps(settings, engine, sessions, http, github, plugins=plugins)
        status = await run_delivery(deps, delivery)
    finally:
        await engine.dispose()
    return status.value


async def _replay(settings: Settings, delivery_id: str) -> str | None:
    async with httpx2.AsyncClient(timeout=30.0) as http:
        return await replay_delivery(settings, delivery_id, http=http)


def _cmd_replay(args: argparse.Namespace) -> int:
    settings = load_settings()
    require_schema(settings)
    _start_logging(settings)
    status = asyncio.run(_replay(settings, args.delivery_id))
    if status is None:
        print(f"no stored delivery {args.delivery_id}")
        return 1
    print(f"delivery {args.delivery_id}: {status}")
    return 0


def _deliveries_lines(rows: list[Delivery]) -> list[str]:
    lines = [f"{'received (UTC)':<20} {'delivery':<38} {'event':<28} {'status':<9} repository"]
    for row in rows:
        event = f"{row.event}.{row.action}" if row.action else row.event
        lines.append(
            f"{row.received_at:%Y-%m-%d %H:%M:%S}  {row.id:<38} {event:<28} "
            f"{row.status.value:<9} {row.repository or '-'}"
        )
    return lines


def _cmd_deliveries(args: argparse.Namespace) -> int:
    async def work(sessions: SessionMaker) -> list[Delivery]:
        async with sessions() as session:
            return await recent_deliveries(session, limit=args.limit)

    for line in _deliveries_lines(run_with_sessions(load_settings(), work)):
        print(line)
    return 0


def _cmd_doctor(args: argparse.Namespace) -> int:
    return asyncio.run(run_doctor())


def register(commands: Any) -> None:
    commands.add_parser("serve", help="web server and worker in one process").set_defaults(
        func=_cmd_serve
    )
    commands.add_parser("web", help="web server only (scale-out)").set_defaults(func=_cmd_web)
    commands.add_parser("worker", help="worker only (scale-out)").set_defaults(func=_cmd_worker)
    commands.add_parser("doctor", help="check settings, key, database and GitHub").set_defaults(
        func=_cmd_doctor
    )
    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply Alembic migrations").set_defaults(
        func=_cmd_db_upgrade
    )
    replay = commands.add_parser("replay", help="run a stored delivery through the handlers")
    replay.add_argument("delivery_id")
    replay.set_defaults(func=_cmd_replay)
    deliveries = commands.add_parser("deliveries", help="recent deliveries")
    deliveries.add_argument("--limit", type=int, default=20)
    deliveries.set_defaults(func=_cmd_deliveries)
