"""The cost ledger: one row per call through the agents' call path, and the cost queries.

A response-cache hit is recorded too (cost 0, `cache_hit` true), so the ledger counts every
request an agent made and the model calls among them. Amounts are integer nano-dollars.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import BigInteger, ColumnElement, Integer, cast
from sqlalchemy import select as sa_select
from sqlalchemy.sql import Select
from sqlmodel import Field, SQLModel, col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import UTCDateTime, utcnow

PLAN_PHASE = "plan"  # the by-phase bucket of calls outside any phase


class LLMCall(SQLModel, table=True):
    __tablename__ = "llm_calls"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int | None = Field(default=None, index=True)
    phase: int | None = None
    role: str
    step: str
    cache_key: str | None = None
    provider: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    # BIGINT: a 32-bit integer of nano-dollars overflows at $2.14.
    cost_nanousd: int = Field(default=0, sa_type=BigInteger)
    # What provider-side prompt caching saved against the full input price (caller computes).
    provider_cache_saved_nanousd: int = Field(default=0, sa_type=BigInteger)
    latency_ms: int = 0
    cache_hit: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


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


async def record_call(
    session: AsyncSession,
    *,
    project_id: int | None,
    phase: int | None,
    role: str,
    step: str,
    cache_key: str | None,
    provider: str,
    model: str,
    input_tokens: int,
    output_tokens: int,
    cached_input_tokens: int,
    cache_write_tokens: int,
    cost_nanousd: int,
    provider_cache_saved_nanousd: int,
    latency_ms: int,
    cache_hit: bool,
    now: datetime,
) -> LLMCall:
    """Adds one ledger row (the caller owns the transaction)."""
    call = LLMCall(
        project_id=project_id,
        phase=phase,
        role=role,
        step=step,
        cache_key=cache_key,
        provider=provider,
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_input_tokens=cached_input_tokens,
        cache_write_tokens=cache_write_tokens,
        cost_nanousd=cost_nanousd,
        provider_cache_saved_nanousd=provider_cache_saved_nanousd,
        latency_ms=latency_ms,
        cache_hit=cache_hit,
        created_at=now,
    )
    session.add(call)
    await session.flush()
    return call


def _of_project(project_id: int | None) -> list[ColumnElement[bool]]:
    return [] if project_id is None else [col(LLMCall.project_id) == project_id]


def _total(column: Any) -> Any:
    # SUM of an empty set is NULL, and PostgreSQL's SUM of bigint is numeric: both become int.
    return cast(func.coalesce(func.sum(column), 0), BigInteger)


async def _rows(session: AsyncSession, statement: Select[Any]) -> list[Sequence[Any]]:
    """Rows of a core select (sqlmodel's `select` takes at most four columns)."""
    connection = await session.connection()
    return list((await connection.execute(statement)).all())


async def project_spend_nanousd(session: AsyncSession, *, project_id: int) -> int:
    statement = select(_total(LLMCall.cost_nanousd)).where(*_of_project(project_id))
    return int((await session.exec(statement)).one())


async def model_calls(session: AsyncSession, *, project_id: int | None = None) -> int:
    """Calls that reached a model (response-cache hits excluded)."""
    statement = select(func.count()).where(
        col(LLMCall.cache_hit).is_(False), *_of_project(project_id)
    )
    return int((await session.exec(statement)).one())


async def _cost_lines(session: AsyncSession, project_id: int | None) -> list[CostLine]:
    hit = cast(col(LLMCall.cache_hit), Integer)
    statement = (
        sa_select(
            col(LLMCall.role),
            col(LLMCall.model),
            col(LLMCall.provider),
            _total(1 - hit),
            _total(hit),
            _total(LLMCall.input_tokens),
            _total(LLMCall.output_tokens),
            _total(LLMCall.cached_input_tokens),
            _total(LLMCall.cache_write_tokens),
            _total(LLMCall.cost_nanousd),
        )
        .where(*_of_project(project_id))
        .group_by(col(LLMCall.role), col(LLMCall.model), col(LLMCall.provider))
        .order_by(col(LLMCall.role), col(LLMCall.model), col(LLMCall.provider))
    )
    fields = list(CostLine.model_fields)
    return [
        CostLine.model_validate(dict(zip(fields, row, strict=True)))
        for row in await _rows(session, statement)
    ]


async def _by_phase(session: AsyncSession, project_id: int | None) -> dict[str, int]:
    statement = (
        sa_select(col(LLMCall.phase), _total(LLMCall.cost_nanousd))
        .where(*_of_project(project_id))
        .group_by(col(LLMCall.phase))
    )
    rows = await _rows(session, statement)
    totals = {row[0]: int(row[1]) for row in rows}
    ordered = sorted(totals, key=lambda phase: (phase is not None, phase or 0))
    return {PLAN_PHASE if phase is None else str(phase): totals[phase] for phase in ordered}


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


async def cost_by_role_and_phase(session: AsyncSession, *, project_id: int) -> list[RolePhaseCost]:
    """Rows by phase (planning first), then agent."""
    hit = cast(col(LLMCall.cache_hit), Integer)
    statement = (
        sa_select(
            col(LLMCall.role),
            col(LLMCall.phase),
            _total(1 - hit),
            _total(hit),
            _total(LLMCall.input_tokens),
            _total(LLMCall.cached_input_tokens),
            _total(LLMCall.output_tokens),
            _total(LLMCall.cost_nanousd),
        )
        .where(*_of_project(project_id))
        .group_by(col(LLMCall.role), col(LLMCall.phase))
    )
    fields = list(RolePhaseCost.model_fields)
    found = [
        RolePhaseCost.model_validate(dict(zip(fields, row, strict=True)))
        for row in await _rows(session, statement)
    ]
    return sorted(found, key=lambda r: (r.phase is not None, r.phase or 0, r.role))


async def cost_report(session: AsyncSession, *, project_id: int | None = None) -> CostReport:
    """Spend by role and model and by phase, with what both caches saved; all projects when
    `project_id` is None."""
    # Imported here: storage.cache imports this module for its miss count.
    from storage.cache import saved_nanousd

    lines = await _cost_lines(session, project_id)
    statement = select(_total(LLMCall.provider_cache_saved_nanousd)).where(*_of_project(project_id))
    return CostReport(
        lines=lines,
        by_phase=await _by_phase(session, project_id),
        total_nanousd=sum(line.nanousd for line in lines),
        total_input_tokens=sum(line.input_tokens for line in lines),
        total_output_tokens=sum(line.output_tokens for line in lines),
        cache_hits=sum(line.cache_hits for line in lines),
        response_cache_saved_nanousd=await saved_nanousd(session, project_id=project_id),
        provider_cache_saved_nanousd=int((await session.exec(statement)).one()),
        provider_cached_tokens=sum(line.cached_input_tokens for line in lines),
    )


async def ledger_project_ids(session: AsyncSession) -> list[int]:
    """Projects with at least one ledger row."""
    statement = (
        select(LLMCall.project_id)
        .where(col(LLMCall.project_id).is_not(None))
        .distinct()
        .order_by(col(LLMCall.project_id))
    )
    return [project_id for project_id in await session.exec(statement) if project_id is not None]
