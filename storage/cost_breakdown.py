"""A project's spend by agent and phase, from the cost ledger: what `/cost` shows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import BigInteger, Integer, cast, func
from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.ledger import LLMCall


class RolePhaseCost(BaseModel):
    """One agent's requests in one phase (None: planning, outside any phase). `calls` counts
    model calls; `cache_hits` the requests the response cache answered instead."""

    role: str
    phase: int | None
    calls: int
    cache_hits: int
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    nanousd: int


def _total(column: Any) -> Any:
    # SUM of nothing is NULL, and PostgreSQL's SUM of bigint is numeric: both become int.
    return cast(func.coalesce(func.sum(column), 0), BigInteger)


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
        .where(col(LLMCall.project_id) == project_id)
        .group_by(col(LLMCall.role), col(LLMCall.phase))
    )
    connection = await session.connection()
    rows = (await connection.execute(statement)).all()
    fields = list(RolePhaseCost.model_fields)
    found = [RolePhaseCost.model_validate(dict(zip(fields, row, strict=True))) for row in rows]
    return sorted(found, key=lambda r: (r.phase is not None, r.phase or 0, r.role))
