"""`ai-orchestrator audit`: the slash commands people ran, newest first."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.database import run_with_sessions
from bot.settings import load_settings
from storage.audit import AuditEntry, audit_entries
from storage.db import SessionMaker

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


def _cmd_audit(args: argparse.Namespace) -> int:
    async def work(sessions: SessionMaker) -> list[AuditEntry]:
        async with sessions() as session:
            return await audit_entries(session, project_id=args.project, limit=args.limit)

    entries = run_with_sessions(load_settings(), work)
    for line in format_entries(entries):
        print(line)
    return 0


def register(commands: Any) -> None:
    audit = commands.add_parser("audit", help="slash commands people ran, newest first")
    audit.add_argument("--project", type=int, default=None, help="one project's commands")
    audit.add_argument("--limit", type=int, default=50)
    audit.set_defaults(func=_cmd_audit)
