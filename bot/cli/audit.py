"""`ai-orchestrator audit`: the slash commands people ran, newest first."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.settings import load_settings
from storage.audit import AuditEntry, audit_entries
from storage.db import make_engine, make_sessionmaker

HEADER = f"{'when (UTC)':<19}  {'project':>7}  {'who':<20} {'command':<28} {'where':<22} result"


def format_entries(entries: list[AuditEntry]) -> list[str]:
    lines = [HEADER]
    for entry in entries:
        command = f"/{entry.command} {entry.argument}".strip()
        project = "-" if entry.project_id is None else str(entry.project_id)
        where = f"{entry.repository} {entry.location}"
        result = f"{entry.outcome.value}: {entry.result}" if entry.result else entry.outcome.value
        lines.append(
            f"{entry.created_at:%Y-%m-%d %H:%M:%S}  {project:>7}  {entry.actor:<20} "
            f"{command[:28]:<28} {where[:22]:<22} {result}"
        )
    return lines


async def _entries(database_url: str, project_id: int | None, limit: int) -> list[AuditEntry]:
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return await audit_entries(session, project_id=project_id, limit=limit)
    finally:
        await engine.dispose()


def _cmd_audit(args: argparse.Namespace) -> int:
    settings = load_settings()
    entries = asyncio.run(_entries(settings.database_url, args.project, args.limit))
    for line in format_entries(entries):
        print(line)
    return 0


def register(commands: Any) -> None:
    audit = commands.add_parser("audit", help="slash commands people ran, newest first")
    audit.add_argument("--project", type=int, default=None, help="one project's commands")
    audit.add_argument("--limit", type=int, default=50)
    audit.set_defaults(func=_cmd_audit)
