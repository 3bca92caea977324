"""`ai-orchestrator cost`: tokens and dollars by role and model (one project or all), spend per
day (`--trends`), and recommendations computed from the ledger and the cache
(`--recommendations`)."""

from __future__ import annotations

import argparse
from collections import defaultdict
from typing import Any

from bot.cli.database import run_with_sessions
from bot.cli.tables import format_table
from bot.settings import load_settings
from storage import costs, reports
from storage.costs import CostReport
from storage.db import SessionMaker
from storage.money import format_usd

NO_SPEND = "no model calls in the last {days} days"
NO_ADVICE = "no recommendations: nothing in the ledger or the cache calls for one"


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


def format_trends(spend: reports.DailySpend) -> str:
    if not spend.rows:
        return NO_SPEND.format(days=spend.days)
    headers = ["day", "repository", "model", "role", "calls", "dollars"]
    body = [
        [row.day, row.repository or "-", row.model, row.role, row.calls, format_usd(row.nanousd)]
        for row in spend.rows
    ]
    per_day: dict[str, int] = defaultdict(int)
    for row in spend.rows:
        per_day[row.day.isoformat()] += row.nanousd
    days = [[day, format_usd(nanousd)] for day, nanousd in sorted(per_day.items())]
    heading = f"spend per day, last {spend.days} days (since {spend.since}, UTC)"
    total = f"total: {format_usd(spend.total_nanousd)}"
    return "\n\n".join(
        [heading, format_table(headers, body), format_table(["day", "dollars"], days), total]
    )


def _figure(name: str, value: Any) -> str:
    """`revision_nanousd=650000000` reads `revision_dollars=$0.65`."""
    if "nanousd" in name and isinstance(value, int):
        return f"{name.replace('nanousd', 'dollars')}={format_usd(value)}"
    return f"{name}={value}"


def format_recommendations(found: list[reports.Recommendation]) -> str:
    if not found:
        return NO_ADVICE
    blocks = []
    for number, advice in enumerate(found, start=1):
        figures = ", ".join(_figure(name, value) for name, value in advice.figures.items())
        blocks.append(
            f"{number}. [{advice.kind}] {advice.title}\n"
            f"   {advice.advice}\n"
            f"   at stake: up to {format_usd(advice.nanousd_at_stake)}; from: {figures}"
        )
    return "\n\n".join(blocks)


def _cost(args: argparse.Namespace) -> int:
    async def work(sessions: SessionMaker) -> str:
        async with sessions() as session:
            if args.trends:
                spend = await reports.daily_spend(session, repo_ids=None, days=args.days)
                return format_trends(spend)
            if args.recommendations:
                return format_recommendations(await reports.recommendations(session, repo_ids=None))
            return format_cost(await costs.cost_report(session, project_id=args.project))

    print(run_with_sessions(load_settings(), work))
    return 0


def _days(text: str) -> int:
    days = int(text)
    if days < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return days


def register(commands: Any) -> None:
    cost = commands.add_parser("cost", help="tokens and dollars by role and model")
    view = cost.add_mutually_exclusive_group()
    view.add_argument("--project", type=int, help="only this project id")
    view.add_argument(
        "--trends", action="store_true", help="spend per day by repository, model, role"
    )
    view.add_argument(
        "--recommendations", action="store_true", help="what to change, from the ledger and cache"
    )
    cost.add_argument("--days", type=_days, default=30, help="with --trends: days back (30)")
    cost.set_defaults(func=_cost)
