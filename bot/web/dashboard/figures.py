"""The charts of the project, costs and cache pages, drawn from the read models of
`storage.reports` (the numbers are theirs; this module only lays them out)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.web.dashboard.charts import Bar, Series, bar_chart, line_chart, meter
from bot.web.dashboard.graph import Node, dependency_graph
from storage.money import format_usd
from storage.reports import (
    CacheStats,
    CostBreakdown,
    DailySpend,
    DaySpend,
    ProjectDetail,
    UsageSeries,
    cost_breakdown,
    usage_over_time,
)

TOP_LINES = 6  # lines in a chart of spend by repository, model or role; the rest are summed
OTHERS = "others"
BUCKET_FORMATS = {"minute": "%H:%M", "hour": "%m-%d %H:00", "day": "%Y-%m-%d"}


@dataclass(frozen=True)
class ProjectFigures:
    breakdown: CostBreakdown
    budget: Markup
    by_agent: Markup
    by_phase: Markup
    tokens: Markup
    requests: Markup


def agent_bars(breakdown: CostBreakdown) -> list[Bar]:
    lines = sorted(breakdown.by_role, key=lambda line: -line.nanousd)
    return [Bar(f"{line.role} · {line.model}", line.nanousd) for line in lines]


def phase_bars(breakdown: CostBreakdown) -> list[Bar]:
    return [
        Bar(cost.name if cost.phase is None else f"{cost.phase}. {cost.name}", cost.nanousd)
        for cost in breakdown.by_phase
    ]


def usage_charts(usage: UsageSeries) -> tuple[Markup, Markup]:
    """Tokens over time, and model calls against cache hits over time."""
    xs = [point.start.strftime(BUCKET_FORMATS[usage.bucket]) for point in usage.points]
    tokens = [
        Series("input tokens", tuple(p.input_tokens for p in usage.points)),
        Series("cached input tokens", tuple(p.cached_input_tokens for p in usage.points)),
        Series("output tokens", tuple(p.output_tokens for p in usage.points)),
    ]
    requests = [
        Series("model calls", tuple(p.model_calls for p in usage.points)),
        Series("cache hits", tuple(p.cache_hits for p in usage.points)),
    ]
    return (
        line_chart(tokens, xs, label=f"Tokens per {usage.bucket}"),
        line_chart(requests, xs, label=f"Model calls and cache hits per {usage.bucket}"),
    )


async def project_figures(session: AsyncSession, project_id: int) -> ProjectFigures | None:
    """None when there is no such project."""
    breakdown = await cost_breakdown(session, project_id)
    if breakdown is None:
        return None
    tokens, requests = usage_charts(await usage_over_time(session, project_id))
    spent, budget = breakdown.spend_nanousd, breakdown.budget_nanousd
    return ProjectFigures(
        breakdown=breakdown,
        budget=meter(spent, budget, label="Spend of budget", fmt=format_usd),
        by_agent=bar_chart(agent_bars(breakdown), label="Cost by agent", fmt=format_usd),
        by_phase=bar_chart(phase_bars(breakdown), label="Cost by phase", fmt=format_usd),
        tokens=tokens,
        requests=requests,
    )


def graph_of(detail: ProjectDetail) -> Markup:
    needs: dict[int, list[int]] = {}
    for edge in detail.dependencies:
        needs.setdefault(edge.phase, []).append(edge.needs)
    nodes = [
        Node(phase.number, phase.name, phase.state.value, tuple(needs.get(phase.number, ())))
        for phase in detail.phases
    ]
    return dependency_graph(nodes)


def day_range(since: date, days: int) -> list[date]:
    return [since + timedelta(days=i) for i in range(days)]


def _series(
    rows: Iterable[DaySpend], days: Sequence[date], key: Callable[[DaySpend], str]
) -> list[Series]:
    """One line per key value (the biggest TOP_LINES, the rest summed as `others`)."""
    totals: dict[str, dict[date, int]] = {}
    for row in rows:
        per_day = totals.setdefault(key(row), {})
        per_day[row.day] = per_day.get(row.day, 0) + row.nanousd
    ranked = sorted(totals, key=lambda name: -sum(totals[name].values()))
    kept, rest = ranked[:TOP_LINES], ranked[TOP_LINES:]
    series = [Series(name, tuple(totals[name].get(day, 0) for day in days)) for name in kept]
    if rest:
        summed = tuple(sum(totals[name].get(day, 0) for name in rest) for day in days)
        series.append(Series(OTHERS, summed))
    return series


def spend_charts(spend: DailySpend) -> dict[str, Markup]:
    """Spend per day: in all, and by repository, by model and by role."""
    days = day_range(spend.since, spend.days)
    xs = [day.isoformat() for day in days]
    keys: dict[str, Callable[[DaySpend], str]] = {
        "repository": lambda row: row.repository or "outside projects",
        "model": lambda row: row.model,
        "role": lambda row: row.role,
    }
    charts = {
        "total": line_chart(
            _series(spend.rows, days, lambda _: "all"), xs, label="Spend per day", fmt=format_usd
        )
    }
    for name, key in keys.items():
        charts[name] = line_chart(
            _series(spend.rows, days, key), xs, label=f"Spend per day by {name}", fmt=format_usd
        )
    return charts


def percent_points(share: float) -> int:
    return round(share * 100)


def cache_charts(stats: CacheStats) -> dict[str, Markup]:
    rates = [Bar(stage.stage, percent_points(stage.hit_rate)) for stage in stats.stages]
    saved = [Bar(stage.stage, stage.nanousd_saved) for stage in stats.stages]
    return {
        "rates": bar_chart(rates, label="Hit rate by stage", fmt=lambda n: f"{n}%"),
        "saved": bar_chart(saved, label="Saved by stage", fmt=format_usd),
    }
