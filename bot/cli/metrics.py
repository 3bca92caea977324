"""`ai-orchestrator metrics [--detailed]`: the figures `/metrics` reads from the database, for
a person: projects, deliveries, jobs and the queue, model calls, tokens, spend and the cache.
`--detailed` breaks them down by event, job kind, role and model, and cache stage."""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.cli.database import run_with_sessions
from bot.cli.tables import format_table
from bot.settings import load_settings
from storage import reports
from storage.db import SessionMaker
from storage.money import format_usd
from storage.tallies import Tallies, tallies


@dataclass(frozen=True)
class Figures:
    tallies: Tallies
    cache: reports.CacheStats


def _split(counts: Mapping[str, int]) -> str:
    """`3 (1 done, 2 running)`, or `0`."""
    total = sum(counts.values())
    parts = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()) if n)
    return f"{total} ({parts})" if parts else str(total)


def _by_second(pairs: Mapping[tuple[str, str], int]) -> dict[str, int]:
    folded: Counter[str] = Counter()
    for (_, second), n in pairs.items():
        folded[second] += n
    return dict(folded)


def summary(figures: Figures) -> list[str]:
    t = figures.tallies
    calls = sum(line.calls for line in t.models)
    hits = sum(line.cache_hits for line in t.models)
    rate = hits / (calls + hits) if calls + hits else 0.0
    return [
        f"Projects: {_split(t.projects)}",
        f"Deliveries stored: {_split(_by_second(t.deliveries))}",
        f"Jobs: {_split(_by_second(t.jobs))}",
        f"Queue: {t.queue_runnable} runnable, {t.queue_delayed} delayed, "
        f"oldest waiting {t.queue_oldest_seconds:.0f} s",
        f"Model calls: {calls}; answered from the cache: {hits} ({rate:.1%} hit rate)",
        f"Tokens: {sum(m.input_tokens for m in t.models):,} input, "
        f"{sum(m.output_tokens for m in t.models):,} output "
        f"({sum(m.cached_input_tokens for m in t.models):,} cached input)",
        f"Spend: {format_usd(sum(m.nanousd for m in t.models))}; saved by the response cache: "
        f"{format_usd(figures.cache.overall.nanousd_saved)}",
    ]


def _pairs_table(headers: list[str], pairs: Mapping[tuple[str, str], int]) -> str:
    return format_table(headers, [[a, b, n] for (a, b), n in sorted(pairs.items())])


def details(figures: Figures) -> list[str]:
    t = figures.tallies
    models = [
        [
            *(m.role, m.provider, m.model, m.calls, m.cache_hits),
            *(f"{m.input_tokens:,}", f"{m.output_tokens:,}", format_usd(m.nanousd)),
        ]
        for m in t.models
    ]
    stages = [
        [s.stage, s.requests, s.hits, f"{s.hit_rate:.1%}", s.entries, format_usd(s.nanousd_saved)]
        for s in figures.cache.stages
    ]
    model_headers = ["role", "provider", "model", "calls", "cache hits", "input", "output"]
    return [
        _pairs_table(["event", "status", "deliveries"], t.deliveries),
        _pairs_table(["job kind", "status", "jobs"], t.jobs),
        format_table([*model_headers, "dollars"], models),
        format_table(["cache stage", "requests", "hits", "hit rate", "entries", "saved"], stages),
    ]


def format_metrics(figures: Figures, *, detailed: bool) -> str:
    blocks = ["\n".join(summary(figures))]
    if detailed:
        blocks += details(figures)
    return "\n\n".join(blocks)


def _metrics(args: argparse.Namespace) -> int:
    async def work(sessions: SessionMaker) -> Figures:
        async with sessions() as session:
            found = await tallies(session)
            return Figures(found, await reports.cache_stats(session, repo_ids=None))

    print(format_metrics(run_with_sessions(load_settings(), work), detailed=args.detailed))
    return 0


def register(commands: Any) -> None:
    metrics = commands.add_parser("metrics", help="what the database says: jobs, calls, spend")
    metrics.add_argument("--detailed", action="store_true", help="by event, kind, model, stage")
    metrics.set_defaults(func=_metrics)
