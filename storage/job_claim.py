"""Claiming a job: a runnable one whose project has no other job under a live lease.

Runnable means running under an expired lease (its worker died) with attempts left, which
goes first, or else queued and due, the oldest first. Every claim is an attempt (unless it
ended on a transient error, see `counted`), so a job that kills or hangs its worker each time
is not claimed after its last one (`storage.jobs.bury_abandoned` makes it dead).

SQLite serialises writers, so one `UPDATE … WHERE id = coalesce((SELECT …), (SELECT …))
RETURNING` both finds and takes the job atomically, project check included.

PostgreSQL lets many workers claim at once. `FOR UPDATE SKIP LOCKED` stops two of them taking
the same row, but not two rows of one project: both would see the project idle in their own
snapshots and both commit. So the claimer also takes a per-project advisory lock for the rest
of its transaction and, holding it, asks again in a new statement (a fresh snapshot under READ
COMMITTED) whether the project is busy. Every claim for a project passes through that lock, so
the second claimer sees the first one's committed lease and moves on to another project.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, not_, or_, update
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.schema import Table
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from storage.job_table import Job, JobStatus

# First key of the two-int advisory locks taken here, so they cannot meet other users' locks.
ADVISORY_NAMESPACE = 0x6A6F6273  # "jobs"
# Projects tried per claim before giving up until the next poll.
PROJECT_TRIES = 8

_JOBS: Table = Job.__table__  # type: ignore[attr-defined]


def _busy(project_id: Any, job_id: Any, now: datetime) -> ColumnElement[bool]:
    """Another job of the project is running under a live lease."""
    other = _JOBS.alias("other")
    return exists().where(
        other.c.project_id == project_id,
        other.c.id != job_id,
        other.c.status == JobStatus.RUNNING,
        other.c.lease_expires_at >= now,
    )


def counted(jobs: Any) -> ColumnElement[int]:
    """Attempts that count against `max_attempts`: those not ended by a transient error."""
    difference: ColumnElement[int] = jobs.c.attempts - jobs.c.transient_attempts
    return difference


def abandoned(jobs: Any, now: datetime) -> ColumnElement[bool]:
    """Running under an expired lease: its worker died, or hung past the lease."""
    return and_(jobs.c.status == JobStatus.RUNNING, jobs.c.lease_expires_at < now)


def exhausted(jobs: Any, now: datetime) -> ColumnElement[bool]:
    """Abandoned during its last attempt: never to be claimed again."""
    return and_(abandoned(jobs, now), counted(jobs) >= jobs.c.max_attempts)


def _queued(jobs: Any, now: datetime) -> ColumnElement[bool]:
    return and_(jobs.c.status == JobStatus.QUEUED, jobs.c.run_after <= now)


def _retried(jobs: Any, now: datetime) -> ColumnElement[bool]:
    return and_(abandoned(jobs, now), counted(jobs) < jobs.c.max_attempts)


def _candidates(
    jobs: Any, now: datetime, kinds: Collection[str] | None, due: ColumnElement[bool]
) -> Select[int, int | None]:
    """The oldest `due` job whose project is free. Each of `_queued` and `_retried` names one
    status, so the walk follows the (status, run_after) index in order and stops at the first
    free job; a query for both at once (an OR) sorted every queued job, and with 100,000
    waiting one claim took 40 ms with SQLite's write lock held."""
    free = or_(jobs.c.project_id.is_(None), not_(_busy(jobs.c.project_id, jobs.c.id, now)))
    statement = (
        select(jobs.c.id, jobs.c.project_id)
        .where(due, free)
        .order_by(jobs.c.run_after, jobs.c.id)
        .limit(1)
    )
    if kinds is not None:
        statement = statement.where(jobs.c.kind.in_(sorted(kinds)))
    return statement


def _first_due(
    jobs: Any, now: datetime, kinds: Collection[str] | None
) -> list[Select[int, int | None]]:
    """The candidates in the order they are tried: a job whose worker died first (its turn
    came before that worker's lease ran out), then the queue."""
    return [_candidates(jobs, now, kinds, due(jobs, now)) for due in (_retried, _queued)]


def _take(job_id: Any, worker_id: str, lease: timedelta, now: datetime) -> Any:
    return (
        update(Job)
        .where(Job.id == job_id)
        .values(
            status=JobStatus.RUNNING,
            lease_owner=worker_id,
            lease_expires_at=now + lease,
            attempts=Job.attempts + 1,
            updated_at=now,
        )
        .returning(Job)
        .execution_options(synchronize_session=False)
    )


async def claim_next(
    session: AsyncSession,
    worker_id: str,
    lease: timedelta,
    kinds: Collection[str] | None,
    now: datetime,
) -> Job | None:
    """Claims one job inside the caller's transaction, which must commit to keep it."""
    if session.get_bind().dialect.name == "postgresql":
        return await _claim_postgres(session, worker_id, lease, kinds, now)
    return await _claim_sqlite(session, worker_id, lease, kinds, now)


async def _claim_sqlite(
    session: AsyncSession,
    worker_id: str,
    lease: timedelta,
    kinds: Collection[str] | None,
    now: datetime,
) -> Job | None:
    # An alias, so the subqueries are not correlated to the UPDATE's own table.
    candidates = _first_due(_JOBS.alias("candidate"), now, kinds)
    ids = [found.with_only_columns(found.selected_columns[0]) for found in candidates]
    chosen = func.coalesce(*(found.scalar_subquery() for found in ids))
    result = await session.exec(_take(chosen, worker_id, lease, now))
    job: Job | None = result.scalars().one_or_none()
    return job


async def _claim_postgres(
    session: AsyncSession,
    worker_id: str,
    lease: timedelta,
    kinds: Collection[str] | None,
    now: datetime,
) -> Job | None:
    skipped: set[int] = set()
    for _ in range(PROJECT_TRIES):
        row = await _lock_candidate(session, now, kinds, skipped)
        if row is None:
            return None
        job_id, project_id = row
        if project_id is None or await _lock_idle_project(session, project_id, job_id, now):
            result = await session.exec(_take(job_id, worker_id, lease, now))
            job: Job | None = result.scalars().one_or_none()
            return job
        skipped.add(project_id)
    return None


async def _lock_candidate(
    session: AsyncSession, now: datetime, kinds: Collection[str] | None, skipped: set[int]
) -> tuple[int, int | None] | None:
    """Locks the first candidate (id, project id) no other claimer holds, outside `skipped`."""
    for found in _first_due(_JOBS, now, kinds):
        statement = found.with_for_update(skip_locked=True, of=_JOBS)
        if skipped:
            statement = statement.where(
                or_(_JOBS.c.project_id.is_(None), _JOBS.c.project_id.not_in(skipped))
            )
        row = (await session.exec(statement)).first()
        if row is not None:
            return int(row[0]), row[1]
    return None


async def _lock_idle_project(
    session: AsyncSession, project_id: int, job_id: int, now: datetime
) -> bool:
    """Takes the project's claim lock, then checks afresh that no other job of it runs."""
    key = project_id % 2**31  # int4 key; a collision only makes two projects wait for each other
    locked = await session.exec(select(func.pg_try_advisory_xact_lock(ADVISORY_NAMESPACE, key)))
    if not locked.one():
        return False
    busy = await session.exec(select(_busy(project_id, job_id, now)))
    return not busy.one()
