"""The cost ledger: one row per call through the agents' call path (its reports are in
`storage.costs`).

A response-cache hit is recorded too (cost 0, `cache_hit` true), so the ledger counts every
request an agent made and the model calls among them. Amounts are integer nano-dollars.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel, col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.query import of_project, total
from storage.types import UTCDateTime, utcnow


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


async def project_spend_nanousd(session: AsyncSession, *, project_id: int) -> int:
    statement = select(total(LLMCall.cost_nanousd)).where(
        *of_project(LLMCall.project_id, project_id)
    )
    return int((await session.exec(statement)).one())


async def model_calls(session: AsyncSession, *, project_id: int | None = None) -> int:
    """Calls that reached a model (response-cache hits excluded)."""
    statement = select(func.count()).where(
        col(LLMCall.cache_hit).is_(False), *of_project(LLMCall.project_id, project_id)
    )
    return int((await session.exec(statement)).one())
