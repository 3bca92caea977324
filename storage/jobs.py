"""The durable job queue: jobs in a table, claimed with a lease, retried with backoff.

A job is `queued` until a worker claims it (`running`, with a lease that the worker renews);
it ends `done`, `dead` or `cancelled`. A worker that dies leaves its lease to expire, and the
job is claimed again: so every job must be idempotent. Every claim is an attempt: a job whose
worker died during its last one is made dead (`bury_abandoned`) rather than claimed forever.

How a failed attempt is retried depends on the failure (`Retry`, which the worker chooses):
- counted: requeued with backoff, `dead` once `max_attempts` attempts have failed;
- transient (GitHub's 5xx, a dropped connection, a rate limit): requeued with backoff without
  using up an attempt, for as long as the job's run of transient failures (`transient_since`)
  is shorter than the time budget; then `dead`, saying how long GitHub kept failing;
- never: `dead` at once.
The last error is kept in every case.
Jobs with the same `project_id` never run at the same time (`storage/job_claim.py`).

All times come from the caller's clock (`now=`, default the current UTC time), so workers on
several machines need synchronised clocks, as any lease-based queue does.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import SessionMaker, transaction
from storage.job_claim import claim_next, exhausted
from storage.job_signal import jobs_added
from storage.job_table import ERROR_LIMIT, Job, JobStatus, Retry
from storage.types import utcnow
from storage.upsert import insert_ignore_many, insert_ignore_many_sync

__all__ = [
    "Job",
    "JobStatus",
    "NewJob",
    "Retry",
    "backoff",
    "bury_abandoned",
    "claim",
    "complete",
    "counted_attempts",
    "counts",
    "enqueue",
    "enqueue_many",
    "fail",
    "load_job",
    "renew_lease",
    "retry_later",
    "waiting_on_github",
]

BACKOFF_BASE = 2.0
BACKOFF_CAP = timedelta(hours=1)
BACKOFF_JITTER = 0.1
# Transient failures are retried more often than the counted kind: GitHub is back in minutes.
TRANSIENT_BACKOFF_CAP = timedelta(minutes=5)
TRANSIENT_BUDGET = timedelta(hours=1)
OUT_OF_TIME = (
    "GitHub kept answering with errors for {lasted}, past the retry budget of {budget} "
    "(JOB_TRANSIENT_BUDGET_SECONDS); the last one: {error}"
)
ABANDONED = (
    "its worker stopped during attempt {attempts} of {max_attempts} (killed, or hung past "
    "its lease), so it is not run again"
)
_JOBS = Job.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class NewJob:
    """A job to queue, for `enqueue` and `enqueue_many`."""

    kind: str
    args: dict[str, Any]
    project_id: int | None = None
    dedupe_key: str | None = None
    run_after: datetime | None = None  # default: at once
    max_attempts: int = 5

    def row(self, now: datetime) -> dict[str, Any]:
        """The queued job as plain column values (cheaper to insert than a model)."""
        return {
            "kind": self.kind,
            "args": self.args,
            "status": JobStatus.QUEUED,
            "attempts": 0,
            "max_attempts": self.max_attempts,
            "run_after": self.run_after or now,
            "dedupe_key": self.dedupe_key,
            "project_id": self.project_id,
            "created_at": now,
            "updated_at": now,
        }


async def enqueue(session: AsyncSession, job: NewJob) -> Job | None:
    """Adds a job in the caller's transaction; None when its `dedupe_key` is already queued.

    ON CONFLICT DO NOTHING leaves the caller's transaction usable, where a failed INSERT would
    abort it on PostgreSQL.
    """
    insert = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
    statement = (
        insert(Job)
        .values(**job.row(utcnow()))
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Job)
    )
    result = await session.exec(statement)
    added: Job | None = result.scalars().one_or_none()
    if added is not None:
        await jobs_added(session)
    return added


async def enqueue_many(session: AsyncSession, jobs: Sequence[NewJob]) -> int:
    """Adds several jobs in one statement in the caller's transaction; returns how many were
    new (jobs whose `dedupe_key` is already queued are skipped)."""
    now = utcnow()
    rows = [job.row(now) for job in jobs]
    inserted = await insert_ignore_many(session, Job, rows, conflict=["dedupe_key"], returning="id")
    if inserted:
        await jobs_added(session)
    return len(inserted)


def enqueue_many_sync(
    connection: sqlite3.Connection, dialect: Dialect, jobs: Sequence[NewJob]
) -> int:
    """`enqueue_many` on a plain sqlite3 connection in its open transaction. The caller rings
    `storage.job_signal.ring` once it has committed (no session to ring it)."""
    now = utcnow()
    rows = [job.row(now) for job in jobs]
    added = insert_ignore_many_sync(
        connection, dialect, Job, rows, conflict=["dedupe_key"], returning="id"
    )
    return len(added)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def claim(
    sessions: SessionMaker,
    *,
    worker_id: str,
    lease_seconds: float,
    kinds: Collection[str] | None = None,
    now: datetime | None = None,
) -> Job | None:
    """Leases the oldest runnable job (of `kinds`, when given) whose project is free."""
    if kinds is not None and not kinds:
        return None
    lease = timedelta(seconds=lease_seconds)
    async with transaction(sessions) as session:
        return await claim_next(session, worker_id, lease, kinds, now or utcnow())


def _held(job_id: int, worker_id: str) -> Any:
    """The rows of a job this worker still holds (nobody else has claimed it since)."""
    return (
        (col(Job.id) == job_id)
        & (col(Job.lease_owner) == worker_id)
        & (col(Job.status) == JobStatus.RUNNING)
    )


async def _update_held(sessions: SessionMaker, job_id: int, worker_id: str, **values: Any) -> bool:
    statement = update(Job).where(_held(job_id, worker_id)).values(**values)
    async with transaction(sessions) as session:
        result = await session.exec(statement)
    return bool(result.rowcount)


async def complete(sessions: SessionMaker, *, job_id: int, worker_id: str) -> bool:
    """Marks the job done; False (nothing changed) when this worker no longer holds it."""
    now = utcnow()
    return await _update_held(
        sessions,
        job_id,
        worker_id,
        status=JobStatus.DONE,
        lease_owner=None,
        lease_expires_at=None,
        finished_at=now,
        updated_at=now,
    )


def backoff(
    attempts: int,
    *,
    base: float = BACKOFF_BASE,
    cap: timedelta = BACKOFF_CAP,
    jitter: float = BACKOFF_JITTER,
) -> timedelta:
    """base**attempts seconds, up to `cap`, stretched by up to `jitter` so retries spread out."""
    seconds = min(base ** min(attempts, 64), cap.total_seconds())
    seconds *= 1 + random.uniform(0, jitter)
    return min(timedelta(seconds=seconds), cap)


def counted_attempts(job: Job) -> int:
    """The attempts that count against `max_attempts`: those not ended by a transient error."""
    return job.attempts - job.transient_attempts


def span(delta: timedelta) -> str:
    """`45 s`, `61 min`, `2 h 5 min`: a duration for people."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    hours, minutes = divmod(seconds // 60, 60)
    if hours == 0:
        return f"{minutes} min"
    return f"{hours} h" + (f" {minutes} min" if minutes else "")


async def fail(
    sessions: SessionMaker,
    *,
    job_id: int,
    worker_id: str,
    error: str,
    retry: Retry = Retry.COUNTED,
    transient_budget: timedelta = TRANSIENT_BUDGET,
    not_before: timedelta | None = None,
    now: datetime | None = None,
    backoff_base: float = BACKOFF_BASE,
    backoff_cap: timedelta = BACKOFF_CAP,
) -> JobStatus:
    """Requeues the job with backoff (at least `not_before`), or makes it dead: at once for
    `Retry.NEVER`, after its last counted attempt, or once its transient failures have lasted
    `transient_budget`.

    Returns the new status; when this worker no longer holds the job nothing changes and the
    job's current status is returned.
    """
    now = now or utcnow()
    job = await load_job(sessions, job_id)
    values: dict[str, Any] = {"last_error": error[:ERROR_LIMIT], "updated_at": now}
    values |= {"lease_owner": None, "lease_expires_at": None}
    delay: timedelta | None = None
    if retry is Retry.TRANSIENT:
        since = job.transient_since or now
        values |= {"transient_attempts": job.transient_attempts + 1, "transient_since": since}
        if now - since < transient_budget:
            cap = TRANSIENT_BACKOFF_CAP
            delay = backoff(job.transient_attempts + 1, base=backoff_base, cap=cap)
        else:
            lasted, budget = span(now - since), span(transient_budget)
            reason = OUT_OF_TIME.format(lasted=lasted, budget=budget, error=error)
            values["last_error"] = reason[:ERROR_LIMIT]
    else:
        values["transient_since"] = None  # a failure of another kind ends a run of transient ones
        if retry is Retry.COUNTED and counted_attempts(job) < job.max_attempts:
            delay = backoff(counted_attempts(job), base=backoff_base, cap=backoff_cap)
    if delay is not None:
        delay = max(delay, not_before or timedelta(0))
        values |= {"status": JobStatus.QUEUED, "run_after": now + delay}
    else:
        values |= {"status": JobStatus.DEAD, "finished_at": now}
    # Read, then a guarded write: `attempts` only changes when someone else claims the job.
    statement = (
        update(Job)
        .where(_held(job_id, worker_id) & (col(Job.attempts) == job.attempts))
        .values(**values)
    )
    async with transaction(sessions) as session:
        changed = (await session.exec(statement)).rowcount
    if changed:
        return JobStatus(values["status"])
    return (await load_job(sessions, job_id)).status


async def bury_abandoned(
    sessions: SessionMaker, *, kinds: Collection[str] | None = None, now: datetime | None = None
) -> list[Job]:
    """Makes dead the jobs (of `kinds`, when given) whose worker stopped during their last
    attempt, saying so in `last_error`; returns those this call buried (of several workers
    sweeping at once, each job goes to one)."""
    now = now or utcnow()
    columns = ("id", "attempts", "transient_attempts", "max_attempts", "last_error")
    # SQLAlchemy's select: sqlmodel's is typed for at most four columns.
    found = sa_select(*(_JOBS.c[name] for name in columns)).where(exhausted(_JOBS, now))
    if kinds is not None:
        found = found.where(col(Job.kind).in_(sorted(kinds)))
    async with transaction(sessions) as session:
        rows = (await session.exec(found)).all()  # type: ignore[call-overload]
        buried = [await _bury(session, *row, now=now) for row in rows]
    return [job for job in buried if job is not None]


async def _bury(
    session: AsyncSession,
    job_id: int | None,
    attempts: int,
    transient_attempts: int,
    max_attempts: int,
    before: str | None,
    *,
    now: datetime,
) -> Job | None:
    reason = ABANDONED.format(attempts=attempts - transient_attempts, max_attempts=max_attempts)
    if before:  # what an earlier attempt raised may say more than the death does
        reason = f"{reason}; before that: {before}"
    statement = (
        update(Job)
        .where(exhausted(_JOBS, now) & (col(Job.id) == job_id) & (col(Job.attempts) == attempts))
        .values(
            status=JobStatus.DEAD,
            last_error=reason[:ERROR_LIMIT],
            lease_owner=None,
            lease_expires_at=None,
            finished_at=now,
            updated_at=now,
        )
        .returning(Job)
        .execution_options(synchronize_session=False)
    )
    job: Job | None = (await session.exec(statement)).scalars().one_or_none()
    return job


async def load_job(sessions: SessionMaker, job_id: int) -> Job:
    async with sessions() as session:
        job = await session.get(Job, job_id)
    if job is None:
        raise LookupError(f"no job {job_id}")
    return job


async def retry_later(
    sessions: SessionMaker,
    *,
    job_id: int,
    worker_id: str,
    delay: timedelta,
    reason: str,
    now: datetime | None = None,
) -> None:
    """Requeues the job after `delay` without counting the attempt: the step chose to wait
    (on a cap, or on GitHub catching up). GitHub answered, so a run of transient failures is
    over: left set, it would keep the job "waiting on GitHub", and once the budget's hour had
    passed since that first failure, one more 5xx would end the job at once."""
    now = now or utcnow()
    await _update_held(
        sessions,
        job_id,
        worker_id,
        status=JobStatus.QUEUED,
        attempts=col(Job.attempts) - 1,
        run_after=now + delay,
        transient_since=None,
        last_error=f"retry later: {reason}"[:ERROR_LIMIT],
        lease_owner=None,
        lease_expires_at=None,
        updated_at=now,
    )


async def renew_lease(
    sessions: SessionMaker,
    *,
    job_id: int,
    worker_id: str,
    lease_seconds: float,
    now: datetime | None = None,
) -> bool:
    """Extends a live lease; False when it was lost (expired, taken over, or job cancelled).

    An expired lease is never revived: another job of the project may have started since.
    """
    now = now or utcnow()
    statement = (
        update(Job)
        .where(_held(job_id, worker_id) & (col(Job.lease_expires_at) >= now))
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now)
    )
    async with transaction(sessions) as session:
        return bool((await session.exec(statement)).rowcount)


async def waiting_on_github(session: AsyncSession, *, project_id: int | None = None) -> int:
    """Jobs (of the project, when given) in a run of transient failures, not yet over: GitHub
    is failing them and the queue keeps trying."""
    statement = select(func.count()).where(
        col(Job.transient_since).is_not(None),
        col(Job.status).in_([JobStatus.QUEUED, JobStatus.RUNNING]),
    )
    if project_id is not None:
        statement = statement.where(col(Job.project_id) == project_id)
    return int((await session.exec(statement)).one())


async def counts(session: AsyncSession) -> dict[JobStatus, int]:
    """Jobs per status, every status present."""
    statement = select(Job.status, func.count()).group_by(col(Job.status))
    found = {JobStatus(status): int(n) for status, n in (await session.exec(statement)).all()}
    return {status: found.get(status, 0) for status in JobStatus}
