"""CLI commands over the agents' storage: cache, cost and phase documentation.

Each command opens the configured database, runs one short async function and prints a plain
text table; the formatting lives in small functions of its own so tests can read it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from bot.cli.database import run_with_sessions
from bot.settings import load_settings
from storage import cache, costs, phase_docs
from storage.cache_keys import parse_key
from storage.costs import CacheAnalytics, CostReport
from storage.db import SessionMaker, transaction
from storage.money import format_usd

T = TypeVar("T")

NEEDS_CONFIRM = "ai-orchestrator: refusing to {action} without --confirm"
NO_DOCS = "ai-orchestrator: no phase documentation for project {project}"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns padded to their widest cell; text left-aligned, numbers right-aligned."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]
    numeric = [
        bool(cells) and all(_is_number(row[i]) for row in cells) for i in range(len(headers))
    ]

    def line(row: Sequence[str]) -> str:
        padded = (
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(row, widths, numeric, strict=True)
        )
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in cells)])


def _is_number(cell: str) -> bool:
    return cell.lstrip("-$<").replace(",", "").replace(".", "").rstrip("%").isdigit()


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


def format_cost(report: CostReport) -> str:
    headers = ["role", "provider", "model", "calls", "cache hits", "input", "output"]
    headers += ["cached input", "cache write", "dollars"]
    body: list[list[object]] = [
        [
            line.role,
            line.provider,
            line.model,
            line.calls,
            line.cache_hits,
            f"{line.input_tokens:,}",
            f"{line.output_tokens:,}",
            f"{line.cached_input_tokens:,}",
            f"{line.cache_write_tokens:,}",
            format_usd(line.nanousd),
        ]
        for line in report.lines
    ]
    phases = [[phase, format_usd(nanousd)] for phase, nanousd in report.by_phase.items()]
    summary = [
        f"total: {format_usd(report.total_nanousd)} for {report.total_input_tokens:,} input "
        f"and {report.total_output_tokens:,} output tokens",
        f"saved by the response cache: {format_usd(report.response_cache_saved_nanousd)} "
        f"({report.cache_hits} requests answered from the cache)",
        f"saved by provider prompt caching: {format_usd(report.provider_cache_saved_nanousd)} "
        f"({report.provider_cached_tokens:,} cached input tokens)",
    ]
    tables = [format_table(headers, body), format_table(["phase", "dollars"], phases)]
    return "\n\n".join([*tables, "\n".join(summary)])


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


def _cost(args: argparse.Namespace) -> int:
    async def work(sessions: SessionMaker) -> CostReport:
        async with transaction(sessions) as session:
            return await costs.cost_report(session, project_id=args.project)

    print(format_cost(_run(work)))
    return 0


def _docs_export(args: argparse.Namespace) -> int:
    async def work(sessions: SessionMaker) -> list[phase_docs.PhaseDoc]:
        async with transaction(sessions) as session:
            return await phase_docs.project_docs(session, project_id=args.project)

    docs = _run(work)
    if not docs:
        print(NO_DOCS.format(project=args.project), file=sys.stderr)
        return 1
    if args.format == "json":
        text = phase_docs.docs_json(docs)
    else:
        text = phase_docs.render_project_markdown(docs)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {len(docs)} documents to {args.output}")
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
    """Registers `cache`, `cost` and `docs`."""
    _add_cache(commands)
    cost = commands.add_parser("cost", help="tokens and dollars by role and model")
    cost.add_argument("--project", type=int, help="only this project id")
    cost.set_defaults(func=_cost)
    docs = commands.add_parser("docs", help="phase documentation")
    docs_sub = docs.add_subparsers(dest="docs_command", required=True, metavar="ACTION")
    export = docs_sub.add_parser("export", help="a project's phase documentation")
    export.add_argument("project", type=int, help="project id")
    export.add_argument("--format", choices=("md", "json"), default="md")
    export.add_argument("--output", type=Path, help="write to this file instead of stdout")
    export.set_defaults(func=_docs_export)
