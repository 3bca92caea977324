"""`ai-orchestrator prune [--dry-run]`: what retention deletes (the hourly prune job does the
same), counted or deleted now."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.database import run_with_sessions
from bot.queue.maintenance import retention
from bot.settings import load_settings
from storage.db import SessionMaker
from storage.retention import Pruned, prunable, prune


def setting_name(pruned: Pruned) -> str:
    return f"RETAIN_{pruned.kind.upper()}_DAYS"


def describe(pruned: Pruned, *, dry_run: bool) -> str:
    """One line: how many rows of a kind go (or would), or that the kind is kept."""
    if pruned.kept_for is None:
        return f"{pruned.name}: kept for good ({setting_name(pruned)} is 0)"
    done = "would be deleted" if dry_run else "deleted"
    if not pruned.kept_for:  # kept for no time: gone as soon as it is due (expired sessions)
        return f"{pruned.name}: {pruned.rows} {done}"
    return f"{pruned.name} older than {pruned.kept_for.days} days: {pruned.rows} {done}"


def _cmd_prune(args: argparse.Namespace) -> int:
    settings = load_settings()
    kept = retention(settings)
    count_or_delete = prunable if args.dry_run else prune

    async def work(sessions: SessionMaker) -> list[Pruned]:
        return await count_or_delete(sessions, kept)

    for pruned in run_with_sessions(settings, work):
        print(describe(pruned, dry_run=args.dry_run))
    return 0


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "prune", help="delete deliveries, finished jobs and ledger rows past their retention"
    )
    parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    parser.set_defaults(func=_cmd_prune)
