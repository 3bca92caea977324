"""GitHub's transient failures are retried by time, not count; its refusals end a job at once.

A job failing on 5xx, dropped connections or rate limits is requeued without using up an
attempt until its run of such failures has lasted the transient budget; then it is dead, saying
so, and its kind's `on_dead` hook is told. A 4xx (not a rate limit) makes it dead at once. The
`on_wait` hook hears when a job starts and stops waiting on GitHub.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import gidgethub
import httpx2
import pytest
from sqlalchemy import update
from sqlmodel import col

from bot.github.ratelimit import RateLimited
from bot.queue.worker import JobRegistry, RetryLater, Worker
from storage.db import SessionMaker, transaction
from storage.jobs import (
    Job,
    JobStatus,
    NewJob,
    bury_abandoned,
    claim,
    enqueue,
    load_job,
    waiting_on_github,
)
from storage.types import utcnow

Handler = Callable[[Job, Any], Coroutine[Any, Any, None]]
BROKEN = gidgethub.GitHubBroken(HTTPStatus.BAD_GATEWAY)


async def add(sessions: SessionMaker, **fields: Any) -> int:
    async with transaction(sessions) as session:
        job = await enqueue(session, NewJob(kind="step", args={}, **fields))
    assert job is not None and job.id is not None
    return job.id


def raising(*errors: Exception) -> Handler:
    """A handler that raises each of `errors` in turn, then succeeds."""
    left = list(errors)

    async def handler(job: Job, deps: Any) -> None:
        if left:
            raise left.pop(0)

    return handler


class Hooks:
    def __init__(self) -> None:
        self.waits: list[int | None] = []
        self.deaths: list[str | None] = []

    async def on_wait(self, job: Job, deps: Any) -> None:
        self.waits.append(job.id)

    async def on_dead(self, job: Job, deps: Any) -> None:
        self.deaths.append(job.last_error)


def worker(
    sessions: SessionMaker, handler: Handler, hooks: Hooks | None = None, **options: Any
) -> Worker:
    hooks = hooks or Hooks()
    registry = JobRegistry()
    registry.add("step", handler, on_dead=hooks.on_dead, on_wait=hooks.on_wait)
    return Worker(sessions, registry, None, **options)


async def due_now(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        await session.exec(
            update(Job).where(col(Job.status) == JobStatus.QUEUED).values(run_after=utcnow())
        )


async def run_attempts(sessions: SessionMaker, w: Worker, count: int) -> None:
    for _ in range(count):
        await due_now(sessions)
        assert await w.run_once() is not None


@pytest.mark.parametrize(
    "error",
    [
        BROKEN,
        gidgethub.GitHubBroken(HTTPStatus.INTERNAL_SERVER_ERROR),
        httpx2.ConnectTimeout("timed out"),
        httpx2.ConnectError("connection refused"),
        RateLimited(reset_at=None, retry_after=0, status=403),
    ],
    ids=["502", "500", "timeout", "connection", "secondary-limit"],
)
async def test_transient_failures_do_not_use_up_attempts(
    sessions: SessionMaker, error: Exception
) -> None:
    """Five failures of a job allowed two attempts: still queued, every attempt recorded."""
    job_id = await add(sessions, max_attempts=2)
    w = worker(sessions, raising(*[error] * 5))
    await run_attempts(sessions, w, 5)
    job = await load_job(sessions, job_id)
    assert (job.status, job.attempts, job.transient_attempts) == (JobStatus.QUEUED, 5, 5)
    assert job.transient_since is not None and job.last_error is not None
    assert type(error).__name__ in job.last_error
    await run_attempts(sessions, w, 1)
    assert (await load_job(sessions, job_id)).status is JobStatus.DONE


async def test_a_job_failing_past_its_budget_is_dead_and_says_why(sessions: SessionMaker) -> None:
    hooks = Hooks()
    job_id = await add(sessions)
    w = worker(sessions, raising(*[BROKEN] * 3), hooks, transient_budget=timedelta(hours=1))
    await run_attempts(sessions, w, 2)
    assert (await load_job(sessions, job_id)).status is JobStatus.QUEUED
    async with transaction(sessions) as session:  # the outage began 61 minutes ago
        began = utcnow() - timedelta(minutes=61)
        await session.exec(update(Job).where(col(Job.id) == job_id).values(transient_since=began))
    await run_attempts(sessions, w, 1)
    job = await load_job(sessions, job_id)
    assert (job.status, job.attempts) == (JobStatus.DEAD, 3)
    assert job.last_error is not None
    assert job.last_error.startswith(
        "GitHub kept answering with errors for 1 h 1 min, past the retry budget of 1 h"
    )
    assert job.last_error.endswith("GitHubBroken: Bad Gateway")
    assert hooks.deaths == [job.last_error]  # where the job's handler could not say so


@pytest.mark.parametrize("status", [HTTPStatus.NOT_FOUND, HTTPStatus.UNPROCESSABLE_ENTITY])
async def test_a_refusal_from_github_is_dead_at_once(
    sessions: SessionMaker, status: HTTPStatus
) -> None:
    hooks = Hooks()
    job_id = await add(sessions, max_attempts=5)
    await run_attempts(sessions, worker(sessions, raising(gidgethub.BadRequest(status)), hooks), 1)
    job = await load_job(sessions, job_id)
    assert (job.status, job.attempts) == (JobStatus.DEAD, 1)
    assert job.last_error == f"BadRequest: {status.phrase}"
    assert hooks.deaths == []  # its handler had the chance to report it


async def test_a_rate_limit_is_not_retried_before_it_resets(sessions: SessionMaker) -> None:
    job_id = await add(sessions)
    limited = RateLimited(reset_at=None, retry_after=1800, status=403)
    before = utcnow()
    await run_attempts(sessions, worker(sessions, raising(limited)), 1)
    job = await load_job(sessions, job_id)
    assert job.status is JobStatus.QUEUED
    assert job.run_after >= before + timedelta(seconds=1800)


async def test_other_failures_still_count_and_end_a_run_of_transient_ones(
    sessions: SessionMaker,
) -> None:
    job_id = await add(sessions, max_attempts=2)
    w = worker(sessions, raising(BROKEN, BROKEN, ValueError("bad"), ValueError("worse")))
    await run_attempts(sessions, w, 3)
    job = await load_job(sessions, job_id)
    assert (job.status, job.attempts, job.transient_since) == (JobStatus.QUEUED, 3, None)
    await run_attempts(sessions, w, 1)
    job = await load_job(sessions, job_id)
    assert (job.status, job.last_error) == (JobStatus.DEAD, "ValueError: worse")


async def test_on_wait_hears_a_job_start_and_stop_waiting_on_github(
    sessions: SessionMaker,
) -> None:
    hooks = Hooks()
    job_id = await add(sessions, project_id=7)
    w = worker(sessions, raising(BROKEN, BROKEN), hooks)
    await run_attempts(sessions, w, 1)
    async with sessions() as session:
        assert await waiting_on_github(session) == 1
        assert await waiting_on_github(session, project_id=7) == 1
        assert await waiting_on_github(session, project_id=8) == 0
    await run_attempts(sessions, w, 2)
    assert hooks.waits == [job_id, job_id, job_id]  # two failures, then done
    async with sessions() as session:
        assert await waiting_on_github(session) == 0


async def test_a_worker_dying_after_transient_failures_is_claimed_again(
    sessions: SessionMaker,
) -> None:
    """Attempts ended by GitHub's errors do not bring a killed worker's job nearer its end:
    with two attempts allowed, after three transient failures, it is claimed twice more."""
    job_id = await add(sessions, max_attempts=2)
    await run_attempts(sessions, worker(sessions, raising(BROKEN, BROKEN, BROKEN)), 3)
    await due_now(sessions)
    now = utcnow()
    for attempt in (4, 5):  # each time, its worker dies and the lease runs out
        taken = await claim(sessions, worker_id=f"doomed-{attempt}", lease_seconds=1, now=now)
        assert taken is not None and (taken.id, taken.attempts) == (job_id, attempt)
        now += timedelta(seconds=5)
        buried = await bury_abandoned(sessions, now=now)
    assert [job.id for job in buried] == [job_id]
    dead = await load_job(sessions, job_id)
    assert dead.last_error is not None and "attempt 2 of 2" in dead.last_error


async def test_a_step_that_chooses_to_wait_is_no_longer_waiting_on_github(
    sessions: SessionMaker,
) -> None:
    """A 502, then the step defers itself (GitHub answered; the step waits on a cap): the run
    of transient failures is over, so an old outage cannot end the job at its next 5xx."""
    hooks = Hooks()
    job_id = await add(sessions, project_id=7)
    deferred = RetryLater(timedelta(seconds=30), "the jobs cap")
    w = worker(
        sessions, raising(BROKEN, deferred, BROKEN), hooks, transient_budget=timedelta(hours=1)
    )
    await run_attempts(sessions, w, 1)
    async with transaction(sessions) as session:  # that 502 came 61 minutes ago
        began = utcnow() - timedelta(minutes=61)
        await session.exec(update(Job).where(col(Job.id) == job_id).values(transient_since=began))
    await run_attempts(sessions, w, 1)
    job = await load_job(sessions, job_id)
    assert (job.status, job.transient_since) == (JobStatus.QUEUED, None)
    assert hooks.waits == [job_id, job_id]  # started waiting on GitHub, then stopped
    async with sessions() as session:
        assert await waiting_on_github(session, project_id=7) == 0
    await run_attempts(sessions, w, 1)  # a new 5xx starts a new run, within its budget
    assert (await load_job(sessions, job_id)).status is JobStatus.QUEUED
