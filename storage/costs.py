"""What the agents' calls cost and what the caches saved: the queries over the ledger
(`storage.ledger`) and the response cache (`storage.cache`) together.

Amounts are integer nano-dollars. The ledger counts every request an agent made, a
response-cache hit included (cost 0, `cache_hit` true); the cache entries count their hits and
what each saved.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import Integer, cast
from sqlalchemy import select as sa_select
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.cache import CacheEntry
from storage.ledger import LLMCall, model_calls
from storage.query import of_project, rows, total

PLAN_PHASE = "plan"  # the by-phase bucket of calls outside any phase


class CostLine(BaseModel):
    """Spend of one role on one model. `calls` counts model calls; `cache_hits` counts the
    requests the response cache answered instead (the two are disjoint)."""

    role: str
    model: str
    provider: str
    calls: int
    cache_hits: int
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    nanousd: int


class CostReport(BaseModel):
    lines: list[CostLine]
    by_phase: dict[str, int]  # nano-dollars per phase number, "plan" for calls outside phases
    total_nanousd: int
    total_input_tokens: int
    total_output_tokens: int
    cache_hits: int
    response_cache_saved_nanousd: int
    provider_cache_saved_nanousd: int
    provider_cached_tokens: int


class RolePhaseCost(BaseModel):
    """One agent's requests in one phase (None: planning, outside any phase), for `/cost`.
    `calls` counts model calls; `cache_hits` the requests the response cache answered."""

    role: str
    phase: int | None
    calls: int
    cache_hits: int
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    nanousd: int


class CacheAnalytics(BaseModel):
    entries: int
    size_bytes: int
    hits: int
    misses: int  # model calls recorded in the ledger
    hit_rate: float
    calls_saved: int
    tokens_saved: int
    nanousd_saved: int


def ledger_sums() -> tuple[Any, ...]:
    """Calls, cache hits, the four token counts and dollars, summed: one order for every report."""
    hit = cast(col(LLMCall.cache_hit), Integer)
    return (
        total(1 - hit),
        total(hit),
        total(LLMCall.input_tokens),
        total(LLMCall.output_tokens),
        total(LLMCall.cached_input_tokens),
        total(LLMCall.cache_write_tokens),
        total(LLMCall.cost_nanousd),
    )


async def _cost_lines(session: AsyncSession, project_id: int | None) -> list[CostLine]:
    statement = (
        sa_select(col(LLMCall.role), col(LLMCall.model), col(LLMCall.provider), *ledger_sums())
        .where(*of_project(LLMCall.project_id, project_id))
        .group_by(col(LLMCall.role), col(LLMCall.model), col(LLMCall.provider))
        .order_by(col(LLMCall.role), col(LLMCall.model), col(LLMCall.provider))
    )
    fields = list(CostLine.model_fields)
    return [
        CostLine.model_validate(dict(zip(fields, row, strict=True)))
        for row in await rows(session, statement)
    ]


async def _by_phase(session: AsyncSession, project_id: int | None) -> dict[str, int]:
    statement = (
        sa_select(col(LLMCall.phase), total(LLMCall.cost_nanousd))
        .where(*of_project(LLMCall.project_id, project_id))
        .group_by(col(LLMCall.phase))
    )
    totals = {row[0]: int(row[1]) for row in await rows(session, statement)}
    ordered = sorted(totals, key=lambda phase: (phase is not None, phase or 0))
    return {PLAN_PHASE if phase is None else str(phase): totals[phase] for phase in ordered}


async def _cache_saved_nanousd(session: AsyncSession, project_id: int | None) -> int:
    """Nano-dollars the response cache saved over all hits of the current entries."""
    statement = select(total(CacheEntry.nanousd_saved)).where(
        *of_project(CacheEntry.project_id, project_id)
    )
    return int((await session.exec(statement)).one())


async def cost_report(session: AsyncSession, *, project_id: int | None = None) -> CostReport:
    """Spend by role and model and by phase, with what both caches saved; all projects when
    `project_id` is None."""
    lines = await _cost_lines(session, project_id)
    statement = select(total(LLMCall.provider_cache_saved_nanousd)).where(
        *of_project(LLMCall.project_id, project_id)
    )
    return CostReport(
        lines=lines,
        by_phase=await _by_phase(session, project_id),
        total_nanousd=sum(line.nanousd for line in lines),
        total_input_tokens=sum(line.input_tokens for line in lines),
        total_output_tokens=sum(line.output_tokens for line in lines),
        cache_hits=sum(line.cache_hits for line in lines),
        response_cache_saved_nanousd=await _cache_saved_nanousd(session, project_id),
        provider_cache_saved_nanousd=int((await session.exec(statement)).one()),
        provider_cached_tokens=sum(line.cached_input_tokens for line in lines),
    )


async def cost_by_role_and_phase(session: AsyncSession, *, project_id: int) -> list[RolePhaseCost]:
    """Rows by phase (planning first), then agent."""
    hit = cast(col(LLMCall.cache_hit), Integer)
    statement = (
        sa_select(
            col(LLMCall.role),
            col(LLMCall.phase),
            total(1 - hit),
            total(hit),
            total(LLMCall.input_tokens),
            total(LLMCall.cached_input_tokens),
            total(LLMCall.output_tokens),
            total(LLMCall.cost_nanousd),
        )
        .where(*of_project(LLMCall.project_id, project_id))
        .group_by(col(LLMCall.role), col(LLMCall.phase))
    )
    fields = list(RolePhaseCost.model_fields)
    found = [
        RolePhaseCost.model_validate(dict(zip(fields, row, strict=True)))
        for row in await rows(session, statement)
    ]
    return sorted(found, key=lambda r: (r.phase is not None, r.phase or 0, r.role))


async def cache_analytics(
    session: AsyncSession, *, project_id: int | None = None
) -> CacheAnalytics:
    """Hit rate, size and savings of one project's cache entries, or of all; the misses are
    the model calls in the ledger."""
    statement = sa_select(
        func.count(),
        total(CacheEntry.size_bytes),
        total(CacheEntry.hit_count),
        total(CacheEntry.tokens_saved),
        total(CacheEntry.nanousd_saved),
    ).where(*of_project(CacheEntry.project_id, project_id))
    ((entries, size, hits, tokens, nanousd),) = await rows(session, statement)
    misses = await model_calls(session, project_id=project_id)
    return CacheAnalytics(
        entries=entries,
        size_bytes=size,
        hits=hits,
        misses=misses,
        hit_rate=hits / (hits + misses) if hits + misses else 0.0,
        calls_saved=hits,
        tokens_saved=tokens,
        nanousd_saved=nanousd,
    )


async def project_ids(session: AsyncSession) -> list[int]:
    """Projects with cache entries or ledger rows, ascending."""
    cached = set(await session.exec(select(CacheEntry.project_id).distinct()))
    statement = select(LLMCall.project_id).where(col(LLMCall.project_id).is_not(None)).distinct()
    called = {project_id for project_id in await session.exec(statement) if project_id is not None}
    return sorted(cached | called)
