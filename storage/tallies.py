"""What `/metrics` and `ai-orchestrator metrics` read from the database at the moment they
ask: deliveries by event and status, jobs by kind and status, the queue's depth and age, the
ledger's calls, tokens and dollars by role and model, projects by status.

Every figure is one GROUP BY over its table, so it is right however many web and worker
processes wrote the rows. Rows the hourly prune deletes (deliveries and jobs after their
retention; the ledger only when RETAIN_LEDGER_DAYS is set) leave these figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, cast, func
from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.costs import ledger_sums
from storage.deliveries import Delivery
from storage.job_table import Job, JobStatus
from storage.ledger import LLMCall
from storage.projects import Project
from storage.query import rows, total
from storage.types import utcnow


@dataclass(frozen=True)
class ModelTally:
    role: str
    provider: str
    model: str
    calls: int  # model calls
    cache_hits: int  # requests the response cache answered
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    nanousd: int


@dataclass(frozen=True)
class Tallies:
    deliveries: dict[tuple[str, str], int]  # (event, status) -> stored deliveries
    jobs: dict[tuple[str, str], int]  # (kind, status) -> jobs
    queue_runnable: int  # queued jobs whose time has come
    queue_delayed: int  # queued jobs waiting for their backoff or a set time
    queue_oldest_seconds: float  # how long the longest-waiting runnable job has waited
    models: list[ModelTally]
    projects: dict[str, int]  # status -> projects


async def _pairs(session: AsyncSession, first: Any, second: Any) -> dict[tuple[str, str], int]:
    statement: Any = sa_select(first, second, func.count()).group_by(first, second)
    found = await rows(session, statement)
    return {(str(a), str(b)): int(n) for a, b, n in found}


def _as_aware(value: datetime | str | None, now: datetime) -> datetime:
    if value is None:
        return now
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=now.tzinfo)


async def _queue(session: AsyncSession, now: datetime) -> tuple[int, int, float]:
    due = col(Job.run_after) <= now
    statement = sa_select(
        total(cast(due, Integer)),
        total(cast(~due, Integer)),
        func.min(col(Job.run_after)).filter(due),
    ).where(col(Job.status) == JobStatus.QUEUED)
    ((runnable, delayed, oldest),) = await rows(session, statement)
    waited = (now - _as_aware(oldest, now)).total_seconds()
    return int(runnable), int(delayed), max(0.0, waited)


async def _models(session: AsyncSession) -> list[ModelTally]:
    group = (col(LLMCall.role), col(LLMCall.provider), col(LLMCall.model))
    statement = sa_select(*group, *ledger_sums()).group_by(*group).order_by(*group)
    return [ModelTally(*row) for row in await rows(session, statement)]


async def tallies(session: AsyncSession, *, now: datetime | None = None) -> Tallies:
    """Every figure, read in the caller's session."""
    now = now or utcnow()
    runnable, delayed, oldest = await _queue(session, now)
    statement: Any = sa_select(col(Project.status), func.count()).group_by(col(Project.status))
    return Tallies(
        deliveries=await _pairs(session, col(Delivery.event), col(Delivery.status)),
        jobs=await _pairs(session, col(Job.kind), col(Job.status)),
        queue_runnable=runnable,
        queue_delayed=delayed,
        queue_oldest_seconds=oldest,
        models=await _models(session),
        projects={str(status): int(n) for status, n in await rows(session, statement)},
    )
