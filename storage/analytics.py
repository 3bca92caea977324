"""Cost and cache analytics over the ledger (`storage.ledger`) and the response cache
(`storage.cache`), for the dashboard, the REST API and the CLI (see `storage.reports`).

Amounts are integer nano-dollars (the cache by stage is `storage.cache_report`). Sums and
groupings run in SQL; time buckets are formatted
by the database (SQLite's `strftime`, PostgreSQL's `to_char` in UTC) so both give the same
keys.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Integer, case, cast, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.costs import cost_report
from storage.ledger import LLMCall
from storage.projects import Project
from storage.query import rows, total
from storage.types import utcnow
from storage.workflow import project_phases

Bucket = Literal["minute", "hour", "day"]


class RoleCost(BaseModel):
    """One agent (role) on one model. `calls` are model calls; `cache_hits` the requests the
    response cache answered instead."""

    role: str
    provider: str
    model: str
    calls: int
    cache_hits: int
    input_tokens: int
    output_tokens: int
    nanousd: int


class PhaseCost(BaseModel):
    """Spend of one phase (None: planning and integration, outside any phase); `revision_nanousd`
    is the part spent on revisions and CI fixes."""

    phase: int | None
    name: str
    calls: int
    cache_hits: int
    nanousd: int
    revision_nanousd: int


class CostBreakdown(BaseModel):
    project_id: int
    spend_nanousd: int
    budget_nanousd: int  # 0: no budget
    by_role: list[RoleCost]
    by_phase: list[PhaseCost]
    response_cache_saved_nanousd: int
    provider_cache_saved_nanousd: int


class UsageBucket(BaseModel):
    start: datetime  # UTC, the bucket's first instant
    model_calls: int
    cache_hits: int
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    nanousd: int


class UsageSeries(BaseModel):
    bucket: Bucket
    points: list[UsageBucket]  # oldest first, only buckets with requests


class DaySpend(BaseModel):
    day: date  # UTC
    repository: str | None  # None: calls outside any project
    model: str
    role: str
    calls: int
    nanousd: int


class DailySpend(BaseModel):
    days: int
    since: date
    rows: list[DaySpend]  # by day, then repository, model, role
    total_nanousd: int


# Ledger steps that answer a review or a red build (bot's agents name their steps so): what a
# phase spends on them is what its revisions cost. The first review round is `validator.review`.
REVISION_STEPS = ("developer.revise.%", "developer.fix_ci.%", "validator.review.%")
MAX_BUCKETS = 48
_SQLITE_FORMATS = {"minute": "%Y-%m-%d %H:%M:00", "hour": "%Y-%m-%d %H:00:00", "day": "%Y-%m-%d"}
_PG_FORMATS = {
    "minute": "YYYY-MM-DD HH24:MI:00",
    "hour": "YYYY-MM-DD HH24:00:00",
    "day": "YYYY-MM-DD",
}
_SPANS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


def is_revision() -> ColumnElement[bool]:
    """Ledger rows spent on a revision or a CI fix of a phase."""
    step = col(LLMCall.step)
    return col(LLMCall.phase).is_not(None) & or_(*(step.like(p) for p in REVISION_STEPS))


def time_bucket(session: AsyncSession, column: Any, bucket: Bucket) -> Any:
    """The UTC bucket of a time column as text (`2025-07-02 10:00:00`), the same on both
    databases (SQLite stores UTC text; PostgreSQL converts from timestamptz)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), _PG_FORMATS[bucket])
    return func.strftime(_SQLITE_FORMATS[bucket], column)


def _bucket_start(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def visible(repo_ids: Collection[int] | None) -> list[ColumnElement[bool]]:
    """The clauses keeping rows of visible projects (the query joins `projects`)."""
    return [] if repo_ids is None else [col(Project.repo_id).in_(sorted(set(repo_ids)))]


def _hits() -> Any:
    return cast(col(LLMCall.cache_hit), Integer)


async def _phase_costs(session: AsyncSession, project_id: int) -> list[PhaseCost]:
    revision = case((is_revision(), col(LLMCall.cost_nanousd)), else_=0)
    statement = (
        sa_select(
            col(LLMCall.phase),
            total(1 - _hits()),
            total(_hits()),
            total(LLMCall.cost_nanousd),
            total(revision),
        )
        .where(col(LLMCall.project_id) == project_id)
        .group_by(col(LLMCall.phase))
    )
    names = {p.number: p.name for p in await project_phases(session, project_id=project_id)}
    found = [
        PhaseCost(
            phase=phase,
            name=PLAN_NAME if phase is None else names.get(phase, f"phase {phase}"),
            calls=calls,
            cache_hits=hits,
            nanousd=nanousd,
            revision_nanousd=revision_nanousd,
        )
        for phase, calls, hits, nanousd, revision_nanousd in await rows(session, statement)
    ]
    return sorted(found, key=lambda cost: (cost.phase is not None, cost.phase or 0))


PLAN_NAME = "planning and integration"


async def cost_breakdown(session: AsyncSession, project_id: int) -> CostBreakdown | None:
    """Spend against budget, cost by agent (role and model) and by phase; None for an unknown
    project. Built on `storage.costs.cost_report`, which `/cost` and `ai-orchestrator cost`
    use too, so every surface shows the same figures."""
    project = await session.get(Project, project_id)
    if project is None:
        return None
    report = await cost_report(session, project_id=project_id)
    by_role = [
        RoleCost.model_validate(line.model_dump(), from_attributes=False) for line in report.lines
    ]
    return CostBreakdown(
        project_id=project_id,
        spend_nanousd=report.total_nanousd,
        budget_nanousd=project.budget_nanousd,
        by_role=by_role,
        by_phase=await _phase_costs(session, project_id),
        response_cache_saved_nanousd=report.response_cache_saved_nanousd,
        provider_cache_saved_nanousd=report.provider_cache_saved_nanousd,
    )


async def _span(session: AsyncSession, project_id: int) -> timedelta:
    statement: Any = sa_select(
        func.min(col(LLMCall.created_at)), func.max(col(LLMCall.created_at))
    ).where(col(LLMCall.project_id) == project_id)
    ((first, last),) = await rows(session, statement)
    if first is None or last is None:
        return timedelta(0)
    return _as_utc(last) - _as_utc(first)


def _as_utc(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def choose_bucket(span: timedelta) -> Bucket:
    """The finest bucket that shows `span` in at most MAX_BUCKETS points."""
    finer: tuple[Bucket, ...] = ("minute", "hour")
    for bucket in finer:
        if span < _SPANS[bucket] * MAX_BUCKETS:
            return bucket
    return "day"


async def usage_over_time(
    session: AsyncSession, project_id: int, *, bucket: Bucket | None = None
) -> UsageSeries:
    """Tokens, model calls and cache hits per time bucket; `bucket` None picks the finest of
    minute, hour and day that gives at most MAX_BUCKETS buckets over the project's span."""
    chosen = bucket or choose_bucket(await _span(session, project_id))
    key = time_bucket(session, col(LLMCall.created_at), chosen).label("bucket")
    statement = (
        sa_select(
            key,
            total(1 - _hits()),
            total(_hits()),
            total(LLMCall.input_tokens),
            total(LLMCall.cached_input_tokens),
            total(LLMCall.output_tokens),
            total(LLMCall.cost_nanousd),
        )
        .where(col(LLMCall.project_id) == project_id)
        .group_by(key)
        .order_by(key)
    )
    fields = list(UsageBucket.model_fields)[1:]
    points = [
        UsageBucket(start=_bucket_start(row[0]), **dict(zip(fields, row[1:], strict=True)))
        for row in await rows(session, statement)
    ]
    return UsageSeries(bucket=chosen, points=points)


async def daily_spend(
    session: AsyncSession,
    *,
    repo_ids: Collection[int] | None,
    days: int = 30,
    now: datetime | None = None,
) -> DailySpend:
    """Spend per UTC day over the last `days` days (today included) by repository, model and
    role. `repo_ids` None: everything, calls outside projects too. ValueError for days < 1."""
    if days < 1:
        raise ValueError("days starts at 1")
    since = (now or utcnow()).astimezone(UTC).date() - timedelta(days=days - 1)
    day = time_bucket(session, col(LLMCall.created_at), "day").label("day")
    group = (day, col(Project.owner), col(Project.repo), col(LLMCall.model), col(LLMCall.role))
    statement = (
        sa_select(*group, total(1 - _hits()), total(LLMCall.cost_nanousd))
        .select_from(LLMCall)
        .outerjoin(Project, col(Project.id) == col(LLMCall.project_id))
        .where(col(LLMCall.created_at) >= datetime.combine(since, time(), UTC), *visible(repo_ids))
        .group_by(*group)
        .order_by(*group)
    )
    found = [
        DaySpend(
            day=date.fromisoformat(text),
            repository=None if owner is None else f"{owner}/{repo}",
            model=model,
            role=role,
            calls=calls,
            nanousd=nanousd,
        )
        for text, owner, repo, model, role, calls, nanousd in await rows(session, statement)
    ]
    spent = sum(line.nanousd for line in found)
    return DailySpend(days=days, since=since, rows=found, total_nanousd=spent)
