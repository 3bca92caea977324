"""CLI commands of the running app: serve, web, worker, doctor, db, replay, deliveries."""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

import httpx2
import uvicorn

from bot.cli.doctor import run_doctor
from bot.deps import Deps, build_agents, build_github_app, secret_values
from bot.logs import configure_logging
from bot.queue.dispatch import handle_delivery
from bot.queue.jobs import build_registry
from bot.queue.maintenance import schedule_periodic
from bot.queue.worker import Worker
from bot.settings import CredentialState, Settings, SettingsError, load_settings
from bot.web.app import create_app
from storage.db import make_engine, make_sessionmaker
from storage.deliveries import recent_deliveries
from storage.migrate import upgrade


def _startup(*, migrate: bool) -> Settings:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format, secret_values(settings))
    if migrate and settings.auto_migrate:
        upgrade(settings.database_url)
    return settings


def _serve(args: argparse.Namespace, *, with_worker: bool) -> int:
    settings = _startup(migrate=True)
    app = create_app(settings, with_worker=with_worker)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None)
    uvicorn.Server(config).run()
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    return _serve(args, with_worker=True)


def _cmd_web(args: argparse.Namespace) -> int:
    return _serve(args, with_worker=False)


async def _run_worker(settings: Settings) -> None:
    if settings.credential_state is not CredentialState.CONFIGURED:
        raise SettingsError(
            "GITHUB_APP_ID: not set; register the App first (ai-orchestrator serve)"
        )
    engine = make_engine(settings.database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with httpx2.AsyncClient(timeout=30.0) as http:
        sessions = make_sessionmaker(engine)
        github = build_github_app(settings, http)
        agents = build_agents(settings, sessions)
        deps = Deps(settings, engine, sessions, http, github, agents=agents)
        worker = Worker(
            sessions,
            build_registry(),
            deps,
            concurrency=settings.worker_concurrency,
            lease_seconds=settings.job_lease_seconds,
            poll_seconds=settings.worker_poll_seconds,
            on_beat=lambda: schedule_periodic(sessions),
        )
        await worker.run(stop)
    await engine.dispose()


def _cmd_worker(args: argparse.Namespace) -> int:
    asyncio.run(_run_worker(_startup(migrate=False)))
    return 0


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings = load_settings()
    upgrade(settings.database_url)
    print("database is at the newest schema")
    return 0


async def replay_delivery(
    settings: Settings, delivery_id: str, *, http: httpx2.AsyncClient
) -> str | None:
    """Runs a stored delivery through the handlers again; its status, or None if unknown."""
    engine = make_engine(settings.database_url)
    try:
        sessions = make_sessionmaker(engine)
        deps = Deps(settings, engine, sessions, http, build_github_app(settings, http))
        status = await handle_delivery(deps, delivery_id)
    finally:
        await engine.dispose()
    return None if status is None else status.value


async def _replay(settings: Settings, delivery_id: str) -> str | None:
    async with httpx2.AsyncClient(timeout=30.0) as http:
        return await replay_delivery(settings, delivery_id, http=http)


def _cmd_replay(args: argparse.Namespace) -> int:
    settings = _startup(migrate=False)
    if settings.credential_state is not CredentialState.CONFIGURED:
        raise SettingsError("GITHUB_APP_ID: not set; replay needs the App's credentials")
    status = asyncio.run(_replay(settings, args.delivery_id))
    if status is None:
        print(f"no stored delivery {args.delivery_id}")
        return 1
    print(f"delivery {args.delivery_id}: {status}")
    return 0


async def _deliveries(settings: Settings, limit: int) -> list[str]:
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = await recent_deliveries(session, limit=limit)
    finally:
        await engine.dispose()
    lines = [f"{'received (UTC)':<20} {'delivery':<38} {'event':<28} {'status':<9} repository"]
    for row in rows:
        event = f"{row.event}.{row.action}" if row.action else row.event
        lines.append(
            f"{row.received_at:%Y-%m-%d %H:%M:%S}  {row.id:<38} {event:<28} "
            f"{row.status.value:<9} {row.repository or '-'}"
        )
    return lines


def _cmd_deliveries(args: argparse.Namespace) -> int:
    for line in asyncio.run(_deliveries(load_settings(), args.limit)):
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
