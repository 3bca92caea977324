"""The job queue on its own: enqueue, claim with a lease, complete, fail, retry, dedupe."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import SessionMaker, make_engine, make_sessionmaker, transaction
from storage.heartbeats import beat, latest_beat
from storage.job_table import ERROR_LIMIT
from storage.jobs import (
    Job,
    JobStatus,
    NewJob,
    bury_abandoned,
    claim,
    complete,
    counts,
    enqueue,
    fail,
    renew_lease,
    retry_later,
)
from storage.types import utcnow

LEASE = 60.0


async def add(sessions: SessionMaker, kind: str = "echo", **fields: Any) -> Job:
    async with transaction(sessions) as session:
        job = await enqueue(session, NewJob(kind=kind, args=fields.pop("args", {}), **fields))
    assert job is not None and job.id is not None
    return job


async def load(sessions: SessionMaker, job_id: int | None) -> Job:
    assert job_id is not None
    async with sessions() as session:
        job = await session.get(Job, job_id)
    assert job is not None
    return job


async def cancel_queued(session: AsyncSession, *, project_id: int) -> None:
    """Cancels a project's queued jobs (the app itself never cancels a job)."""
    statement = (
        update(Job)
        .where((col(Job.project_id) == project_id) & (col(Job.status) == JobStatus.QUEUED))
        .values(status=JobStatus.CANCELLED, finished_at=utcnow())
    )
    await session.exec(statement)


async def take(sessions: SessionMaker, worker: str, now: datetime, **kw: Any) -> Job | None:
    return await claim(sessions, worker_id=worker, lease_seconds=LEASE, now=now, **kw)


async def test_enqueue_claim_complete(sessions: SessionMaker) -> None:
    job = await add(sessions, args={"delivery": "abc"}, project_id=7)
    now = utcnow()

    claimed = await take(sessions, "a", now)

    assert claimed is not None and claimed.id == job.id
    assert claimed.args == {"delivery": "abc"} and claimed.project_id == 7
    assert (claimed.status, claimed.attempts, claimed.lease_owner) == (JobStatus.RUNNING, 1, "a")
    assert claimed.lease_expires_at == now + timedelta(seconds=LEASE)
    assert await complete(sessions, job_id=job.id or 0, worker_id="a") is True
    done = await load(sessions, job.id)
    assert done.status is JobStatus.DONE and done.finished_at is not None
    assert done.lease_owner is None
    assert await take(sessions, "a", utcnow() + timedelta(hours=2)) is None


async def test_second_enqueue_with_dedupe_key_returns_none_and_keeps_the_transaction(
    sessions: SessionMaker,
) -> None:
    first = await add(sessions, dedupe_key="delivery-1")

    async with transaction(sessions) as session:
        again = await enqueue(session, NewJob(kind="echo", args={"n": 2}, dedupe_key="delivery-1"))
        other = await enqueue(session, NewJob(kind="echo", args={"n": 3}))
        unkeyed = await enqueue(session, NewJob(kind="echo", args={"n": 4}))

    assert again is None
    assert other is not None and unkeyed is not None
    async with sessions() as session:
        assert (await counts(session))[JobStatus.QUEUED] == 3
        assert await session.get(Job, other.id or 0) is not None
    assert (await load(sessions, first.id)).args == {}


async def test_enqueue_rolls_back_with_its_caller(sessions: SessionMaker) -> None:
    with pytest.raises(RuntimeError):
        async with transaction(sessions) as session:
            await enqueue(session, NewJob(kind="echo", args={}))
            raise RuntimeError("the caller's other work failed")
    async with sessions() as session:
        assert sum((await counts(session)).values()) == 0


async def test_claim_takes_due_jobs_of_the_given_kinds_oldest_first(
    sessions: SessionMaker,
) -> None:
    now = utcnow()
    later = await add(sessions, run_after=now + timedelta(minutes=5))
    plan = await add(sessions, kind="plan")
    first = await add(sessions)
    second = await add(sessions)

    async def next_echo(at: datetime) -> int | None:
        job = await take(sessions, "a", at, kinds={"echo"})
        if job is None:
            return None
        assert await complete(sessions, job_id=job.id or 0, worker_id="a")
        return job.id

    soon = now + timedelta(seconds=1)
    assert [await next_echo(soon) for _ in range(3)] == [first.id, second.id, None]
    assert await take(sessions, "a", soon, kinds=set()) is None
    assert await next_echo(now + timedelta(minutes=6)) == later.id
    assert (await load(sessions, plan.id)).status is JobStatus.QUEUED


async def test_expired_lease_hands_the_job_to_another_worker(sessions: SessionMaker) -> None:
    job = await add(sessions)
    start = utcnow()
    assert await take(sessions, "a", start) is not None  # worker a then dies

    assert await take(sessions, "b", start + timedelta(seconds=LEASE - 1)) is None
    taken = await take(sessions, "b", start + timedelta(seconds=LEASE + 1))

    assert taken is not None and taken.id == job.id
    assert (taken.lease_owner, taken.attempts) == ("b", 2)
    assert await complete(sessions, job_id=job.id or 0, worker_id="a") is False
    assert (
        await renew_lease(sessions, job_id=job.id or 0, worker_id="a", lease_seconds=LEASE) is False
    )
    assert await complete(sessions, job_id=job.id or 0, worker_id="b") is True
    assert await complete(sessions, job_id=job.id or 0, worker_id="b") is False
    assert (await load(sessions, job.id)).status is JobStatus.DONE
    assert await take(sessions, "c", start + timedelta(hours=3)) is None


async def test_a_job_whose_worker_died_in_its_last_attempt_is_dead_not_claimed_again(
    sessions: SessionMaker,
) -> None:
    """Each claim is an attempt, reclaims of expired leases included: a job whose worker dies
    every time (kill -9, OOM, a hang past the lease) ends dead after its attempts."""
    job = await add(sessions, max_attempts=3)
    at = utcnow()
    for attempt, worker in enumerate(("a", "b", "c"), start=1):
        taken = await take(sessions, worker, at)  # ...and the worker dies in the handler
        assert taken is not None and taken.attempts == attempt
        at += timedelta(seconds=LEASE + 1)
    assert await take(sessions, "d", at) is None
    assert [buried.id for buried in await bury_abandoned(sessions, now=at)] == [job.id]
    dead = await load(sessions, job.id)
    assert (dead.status, dead.attempts, dead.lease_owner) == (JobStatus.DEAD, 3, None)
    assert dead.finished_at is not None
    assert dead.last_error is not None
    assert dead.last_error.startswith("its worker stopped during attempt 3 of 3")
    assert await bury_abandoned(sessions, now=at) == []
    assert await take(sessions, "d", at + timedelta(hours=2)) is None


async def test_a_dead_workers_job_with_attempts_left_is_claimed_and_not_buried(
    sessions: SessionMaker,
) -> None:
    job = await add(sessions, max_attempts=2)
    at = utcnow()
    assert await take(sessions, "a", at) is not None
    at += timedelta(seconds=LEASE + 1)
    assert await bury_abandoned(sessions, now=at) == []
    taken = await take(sessions, "b", at)
    assert taken is not None and (taken.id, taken.attempts) == (job.id, 2)
    assert await bury_abandoned(sessions, now=at) == []  # b's lease is live


async def test_a_job_that_failed_before_its_worker_died_keeps_that_error_in_the_reason(
    sessions: SessionMaker,
) -> None:
    job = await add(sessions, max_attempts=2)
    at = utcnow()
    assert await take(sessions, "a", at) is not None
    await fail(sessions, job_id=job.id or 0, worker_id="a", error="ValueError: bad", now=at)
    async with transaction(sessions) as session:  # due again at once
        await session.exec(update(Job).where(col(Job.id) == job.id).values(run_after=at))
    assert await take(sessions, "b", at) is not None  # ...and b dies
    [buried] = await bury_abandoned(sessions, now=at + timedelta(seconds=LEASE + 1))
    assert buried.last_error is not None
    assert buried.last_error.endswith("; before that: ValueError: bad")


async def test_renewal_extends_a_live_lease_but_never_revives_an_expired_one(
    sessions: SessionMaker,
) -> None:
    job = await add(sessions)
    start = utcnow()
    await take(sessions, "a", start)
    at = start + timedelta(seconds=LEASE / 2)

    assert await renew_lease(
        sessions, job_id=job.id or 0, worker_id="a", lease_seconds=LEASE, now=at
    )
    assert await take(sessions, "b", start + timedelta(seconds=LEASE + 1)) is None
    expired = at + timedelta(seconds=LEASE + 1)
    assert not await renew_lease(
        sessions, job_id=job.id or 0, worker_id="a", lease_seconds=LEASE, now=expired
    )
    assert (await load(sessions, job.id)).lease_expires_at == at + timedelta(seconds=LEASE)


async def test_failures_back_off_then_the_job_is_dead_with_its_error(
    sessions: SessionMaker,
) -> None:
    job = await add(sessions, max_attempts=3)
    now = utcnow()
    delays = []
    for attempt in (1, 2):
        claimed = await take(sessions, "a", now)
        assert claimed is not None and claimed.attempts == attempt
        status = await fail(
            sessions, job_id=job.id or 0, worker_id="a", error=f"E{attempt}", now=now
        )
        assert status is JobStatus.QUEUED
        requeued = await load(sessions, job.id)
        delays.append(requeued.run_after - now)
        assert requeued.last_error == f"E{attempt}" and requeued.lease_owner is None
        assert await take(sessions, "a", requeued.run_after - timedelta(milliseconds=1)) is None
        now = requeued.run_after

    assert timedelta(seconds=2) <= delays[0] <= timedelta(seconds=2.2)
    assert timedelta(seconds=4) <= delays[1] <= timedelta(seconds=4.4)
    assert await take(sessions, "a", now) is not None
    final = await fail(sessions, job_id=job.id or 0, worker_id="a", error="x" * 10_000, now=now)
    dead = await load(sessions, job.id)
    assert final is JobStatus.DEAD and dead.status is JobStatus.DEAD
    assert dead.attempts == 3 and dead.last_error == "x" * ERROR_LIMIT
    assert dead.finished_at == now
    assert await take(sessions, "a", now + timedelta(days=1)) is None


async def test_backoff_is_capped(sessions: SessionMaker) -> None:
    job = await add(sessions, max_attempts=50)
    now = utcnow()
    await take(sessions, "a", now)
    await fail(
        sessions,
        job_id=job.id or 0,
        worker_id="a",
        error="E",
        now=now,
        backoff_base=1000.0,
        backoff_cap=timedelta(minutes=10),
    )
    assert (await load(sessions, job.id)).run_after == now + timedelta(minutes=10)


async def test_fail_from_a_worker_that_lost_the_lease_changes_nothing(
    sessions: SessionMaker,
) -> None:
    job = await add(sessions)
    start = utcnow()
    await take(sessions, "a", start)
    await take(sessions, "b", start + timedelta(seconds=LEASE + 1))

    status = await fail(sessions, job_id=job.id or 0, worker_id="a", error="late", now=start)

    after = await load(sessions, job.id)
    assert status is JobStatus.RUNNING
    assert (after.status, after.lease_owner, after.last_error) == (JobStatus.RUNNING, "b", None)


async def test_retry_later_requeues_without_using_an_attempt(sessions: SessionMaker) -> None:
    job = await add(sessions, max_attempts=1)
    now = utcnow()
    await take(sessions, "a", now)

    await retry_later(
        sessions,
        job_id=job.id or 0,
        worker_id="a",
        delay=timedelta(seconds=30),
        reason="rate limited",
        now=now,
    )

    waiting = await load(sessions, job.id)
    assert (waiting.status, waiting.attempts) == (JobStatus.QUEUED, 0)
    assert waiting.run_after == now + timedelta(seconds=30)
    assert waiting.last_error is not None and "rate limited" in waiting.last_error
    assert await take(sessions, "a", now + timedelta(seconds=29)) is None
    assert await take(sessions, "a", now + timedelta(seconds=30)) is not None


async def test_one_job_per_project_runs_at_a_time(sessions: SessionMaker) -> None:
    p1_first = await add(sessions, project_id=1)
    p1_second = await add(sessions, project_id=1)
    p2 = await add(sessions, project_id=2)
    free = await add(sessions)
    now = utcnow()

    order = [await take(sessions, w, now) for w in ("a", "b", "c", "d")]

    assert [job.id if job else None for job in order] == [p1_first.id, p2.id, free.id, None]
    await complete(sessions, job_id=p1_first.id or 0, worker_id="a")
    assert (await take(sessions, "d", now)).id == p1_second.id  # type: ignore[union-attr]


async def test_a_dead_workers_lease_frees_its_project(sessions: SessionMaker) -> None:
    stuck = await add(sessions, project_id=1)
    waiting = await add(sessions, project_id=1)
    start = utcnow()
    await take(sessions, "a", start)
    assert await take(sessions, "b", start + timedelta(seconds=1)) is None

    after = start + timedelta(seconds=LEASE + 1)
    first = await take(sessions, "b", after)
    second = await take(sessions, "c", after)

    assert first is not None and first.id == stuck.id
    assert second is None  # `waiting` must wait for the re-run of `stuck`
    await complete(sessions, job_id=stuck.id or 0, worker_id="b")
    assert (await take(sessions, "c", after)).id == waiting.id  # type: ignore[union-attr]


async def test_heartbeat_reports_the_freshest_beat(sessions: SessionMaker) -> None:
    async with sessions() as session:
        assert await latest_beat(session) is None
    now = utcnow()
    await beat(sessions, worker_id="a", now=now - timedelta(seconds=30))
    await beat(sessions, worker_id="b", now=now - timedelta(seconds=20))
    await beat(sessions, worker_id="a", now=now)

    async with sessions() as session:
        assert await latest_beat(session) == now


@pytest.mark.postgres_only
async def test_concurrent_claimers_on_many_connections_never_share_a_project(
    database_url: str, engine: AsyncEngine
) -> None:
    """Eight connections race for jobs of one project: exactly one wins each round."""
    engines = [make_engine(database_url) for _ in range(8)]
    makers = [make_sessionmaker(e) for e in engines]
    try:
        for _ in range(30):
            for _ in range(8):
                await add(makers[0], project_id=1)
            now = utcnow()
            won = await asyncio.gather(
                *(take(maker, f"w{i}", now) for i, maker in enumerate(makers))
            )
            winners = [job for job in won if job is not None]
            assert len(winners) == 1
            async with transaction(makers[0]) as session:
                await cancel_queued(session, project_id=1)
            winner = winners[0]
            await complete(makers[0], job_id=winner.id or 0, worker_id=winner.lease_owner or "")
    finally:
        for extra in engines:
            await extra.dispose()


async def test_a_dead_workers_job_is_claimed_before_the_queued_ones(
    sessions: SessionMaker,
) -> None:
    """Its turn came before its worker died: it is not sent to the back of the queue."""
    at = utcnow()
    abandoned = await add(sessions, run_after=at - timedelta(seconds=1))
    assert (await take(sessions, "a", at)) is not None  # ...and a dies
    waiting = [await add(sessions, run_after=at - timedelta(hours=1)) for _ in range(3)]
    at += timedelta(seconds=LEASE + 1)
    taken = [await take(sessions, "b", at) for _ in range(4)]
    assert [job.id if job else None for job in taken] == [abandoned.id, *(j.id for j in waiting)]


async def test_a_claim_on_sqlite_walks_an_index_rather_than_sorting_the_queue(
    tmp_path: Path,
) -> None:
    """With 100,000 jobs waiting, a claim that sorted them all took 40 ms, with SQLite's write
    lock held and the webhook intake waiting behind it. The plan of the claim's own statement
    (captured as it runs) may search indexes, never sort."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'queue.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    sessions = make_sessionmaker(engine)
    for n in range(50):
        await add(sessions, dedupe_key=f"job-{n}", project_id=n % 5 or None)
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        if sql.lstrip().upper().startswith("UPDATE JOBS"):
            sent.append((sql, params))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        assert await take(sessions, "a", utcnow()) is not None
    finally:
        await engine.dispose()
    [(sql, params)] = sent
    with sqlite3.connect(tmp_path / "queue.db") as plain:
        plan = [row[3] for row in plain.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    assert any("USING INDEX ix_jobs_status_run_after" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step or step.startswith("SCAN") for step in plan), plan
