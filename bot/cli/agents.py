"""CLI commands over the response cache: `cache info`, `cache clear`, `cache invalidate`.

Each command opens the configured database, runs one short async function and prints a plain
text table; the formatting lives in small functions of its own so tests can read it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from bot.cli.database import run_with_sessions
from bot.cli.tables import format_table
from bot.settings import load_settings
from storage import cache, costs
from storage.cache_keys import parse_key
from storage.costs import CacheAnalytics
from storage.db import SessionMaker, transaction
from storage.money import format_usd

T = TypeVar("T")

NEEDS_CONFIRM = "ai-orchestrator: refusing to {action} without --confirm"


def _size(size_bytes: int) -> str:
    if size_bytes < 1024:
        return f"{size_bytes} B"
    amount = size_bytes / 1024
    for unit in ("KB", "MB"):
        if amount < 1024:
            return f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} GB"


def format_analytics(rows: Sequence[tuple[str, CacheAnalytics]]) -> str:
    headers = ["project", "hit rate", "hits", "misses", "entries", "size", "calls saved"]
    headers += ["tokens saved", "dollars saved"]
    body = [
        [
            label,
            f"{stats.hit_rate:.1%}",
            stats.hits,
            stats.misses,
            stats.entries,
            _size(stats.size_bytes),
            stats.calls_saved,
            f"{stats.tokens_saved:,}",
            format_usd(stats.nanousd_saved),
        ]
        for label, stats in rows
    ]
    return format_table(headers, body)


def format_removed(removed: dict[int, list[str]]) -> str:
    lines = [f"project {project}: {', '.join(keys)}" for project, keys in removed.items() if keys]
    return "\n".join(lines) if lines else "nothing to invalidate: no cached entries matched"


def _run(work: Callable[[SessionMaker], Awaitable[T]]) -> T:
    """Runs `work` against the configured database, which must be at the newest schema."""
    return run_with_sessions(load_settings(), work)


def _refuse(action: str) -> int:
    print(NEEDS_CONFIRM.format(action=action), file=sys.stderr)
    return 2


def _cache_info(args: argparse.Namespace) -> int:
    async def work(sessions: SessionMaker) -> list[tuple[str, CacheAnalytics]]:
        async with transaction(sessions) as session:
            ids = [args.project] if args.project is not None else await costs.project_ids(session)
            rows = [(f"{p}", await costs.cache_analytics(session, project_id=p)) for p in ids]
            if args.project is None:
                rows.append(("all", await costs.cache_analytics(session)))
            return rows

    print(format_analytics(_run(work)))
    return 0


def _cache_clear(args: argparse.Namespace) -> int:
    if not args.confirm:
        return _refuse("clear the cache")

    async def work(sessions: SessionMaker) -> int:
        async with transaction(sessions) as session:
            return await cache.clear(session, project_id=args.project)

    print(f"removed {_run(work)} cache entries")
    return 0


def _cache_invalidate(args: argparse.Namespace) -> int:
    try:
        parse_key(args.key)
    except ValueError as exc:
        print(f"ai-orchestrator: {exc}", file=sys.stderr)
        return 2
    if not args.confirm:
        return _refuse(f"invalidate {args.key}")

    async def work(sessions: SessionMaker) -> dict[int, list[str]]:
        async with transaction(sessions) as session:
            ids = [args.project] if args.project is not None else await costs.project_ids(session)
            return {p: await cache.invalidate(session, project_id=p, key=args.key) for p in ids}

    print(format_removed(_run(work)))
    return 0


def _add_cache(commands: Any) -> None:
    cache_parser = commands.add_parser("cache", help="the response cache")
    sub = cache_parser.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    info = sub.add_parser("info", help="hit rate, size and savings, overall and per project")
    info.add_argument("--project", type=int, help="only this project id")
    info.set_defaults(func=_cache_info)
    clear = sub.add_parser("clear", help="delete cache entries")
    clear.add_argument("--project", type=int, help="only this project id (default: all)")
    clear.add_argument("--confirm", action="store_true", help="really delete")
    clear.set_defaults(func=_cache_clear)
    invalidate = sub.add_parser("invalidate", help="delete a key and what depends on it")
    invalidate.add_argument("key", help="e.g. project_micro_phases or phase-3-generated_code")
    invalidate.add_argument("--project", type=int, help="only this project id (default: all)")
    invalidate.add_argument("--confirm", action="store_true", help="really delete")
    invalidate.set_defaults(func=_cache_invalidate)


def register(commands: Any) -> None:
    """Registers `cache`."""
    _add_cache(commands)
