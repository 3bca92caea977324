"""The worker: handlers by kind, failures and retries, leases kept and lost, one job per project."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import pytest

from bot.logcontext import ContextFilter, log_context
from bot.queue.worker import JobRegistry, RetryLater, Worker, describe_error
from storage.db import SessionMaker, make_engine, make_sessionmaker, transaction
from storage.heartbeats import latest_beat
from storage.jobs import Job, JobStatus, NewJob, claim, complete, counts, enqueue
from storage.types import utcnow


async def add(sessions: SessionMaker, kind: str = "echo", **fields: Any) -> int:
    async with transaction(sessions) as session:
        job = await enqueue(session, NewJob(kind=kind, args=fields.pop("args", {}), **fields))
    assert job is not None and job.id is not None
    return job.id


async def load(sessions: SessionMaker, job_id: int) -> Job:
    async with sessions() as session:
        job = await session.get(Job, job_id)
    assert job is not None
    return job


async def run_out_lease(sessions: SessionMaker, job_id: int) -> None:
    """The lease of a running job, expired a moment ago: what the passing of its time does."""
    async with transaction(sessions) as session:
        job = await session.get(Job, job_id)
        assert job is not None and job.lease_expires_at is not None
        job.lease_expires_at = utcnow() - timedelta(seconds=1)


def registry_of(kind: str, fn: Callable[[Job, Any], Coroutine[Any, Any, None]]) -> JobRegistry:
    registry = JobRegistry()
    registry.add(kind, fn)
    return registry


async def eventually(check: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


def test_registry_refuses_a_second_handler_for_a_kind() -> None:
    registry = JobRegistry()

    @registry.handler("echo")
    async def echo(job: Job, deps: Any) -> None: ...

    assert registry.kinds == frozenset({"echo"}) and registry.get("echo") is echo
    with pytest.raises(ValueError, match="echo"):
        registry.add("echo", echo)


async def test_run_once_runs_the_handler_with_the_deps_and_completes(
    sessions: SessionMaker,
) -> None:
    seen: list[tuple[dict[str, Any], object]] = []
    deps = object()

    async def echo(job: Job, given: Any) -> None:
        seen.append((job.args, given))

    job_id = await add(sessions, args={"n": 1})
    ran = await Worker(sessions, registry_of("echo", echo), deps, worker_id="w").run_once()

    assert ran is not None and ran.id == job_id and ran.lease_owner == "w"
    assert seen == [({"n": 1}, deps)]
    assert (await load(sessions, job_id)).status is JobStatus.DONE
    assert await Worker(sessions, registry_of("echo", echo), deps).run_once() is None


async def test_jobs_without_a_handler_stay_queued(sessions: SessionMaker) -> None:
    async def echo(job: Job, deps: Any) -> None: ...

    plan = await add(sessions, kind="plan")
    echoes = [await add(sessions) for _ in range(2)]

    assert await Worker(sessions, registry_of("echo", echo), None).drain() == 2

    assert (await load(sessions, plan)).status is JobStatus.QUEUED
    assert {(await load(sessions, e)).status for e in echoes} == {JobStatus.DONE}


async def test_a_failing_handler_fails_the_job_and_logs_with_context(
    sessions: SessionMaker, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(job: Job, deps: Any) -> None:
        raise ValueError("boom")

    caplog.handler.addFilter(ContextFilter())
    job_id = await add(sessions, project_id=4, max_attempts=2)
    worker = Worker(sessions, registry_of("echo", broken), None)

    with caplog.at_level(logging.INFO, logger="bot.queue.worker"):
        assert await worker.run_once() is not None

    failed = await load(sessions, job_id)
    assert (failed.status, failed.attempts) == (JobStatus.QUEUED, 1)
    assert failed.last_error == "ValueError: boom"
    assert failed.run_after > utcnow()
    record = next(r for r in caplog.records if r.levelno == logging.ERROR)
    assert record.exc_info is not None
    assert (record.job_id, record.job_kind, record.project_id) == (job_id, "echo", 4)  # type: ignore[attr-defined]


async def test_the_last_failure_makes_the_job_dead(sessions: SessionMaker) -> None:
    async def broken(job: Job, deps: Any) -> None:
        raise KeyError("missing")

    job_id = await add(sessions, max_attempts=1)
    await Worker(sessions, registry_of("echo", broken), None).run_once()

    dead = await load(sessions, job_id)
    assert (dead.status, dead.attempts) == (JobStatus.DEAD, 1)
    assert dead.last_error == describe_error(KeyError("missing")) == "KeyError: 'missing'"


async def test_retry_later_does_not_use_up_an_attempt(sessions: SessionMaker) -> None:
    async def limited(job: Job, deps: Any) -> None:
        raise RetryLater(timedelta(seconds=90), "secondary rate limit")

    job_id = await add(sessions, max_attempts=1)
    before = utcnow()
    await Worker(sessions, registry_of("echo", limited), None).run_once()

    waiting = await load(sessions, job_id)
    assert (waiting.status, waiting.attempts) == (JobStatus.QUEUED, 0)
    assert waiting.run_after >= before + timedelta(seconds=90)
    assert "secondary rate limit" in (waiting.last_error or "")


async def test_a_long_job_keeps_its_lease(sessions: SessionMaker) -> None:
    """The lease is 1 s and the job takes 3 s: renewals keep other workers away. (A shorter
    lease leaves too little slack for a renewal on a loaded machine.)"""
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow(job: Job, deps: Any) -> None:
        started.set()
        await release.wait()

    job_id = await add(sessions)
    worker = Worker(sessions, registry_of("echo", slow), None, worker_id="a", lease_seconds=1.0)
    running = asyncio.create_task(worker.run_once())
    await started.wait()
    for _ in range(15):
        await asyncio.sleep(0.2)
        assert await claim(sessions, worker_id="b", lease_seconds=10) is None
    release.set()
    await running

    done = await load(sessions, job_id)
    assert (done.status, done.attempts) == (JobStatus.DONE, 1)


async def test_a_lost_lease_cancels_the_handler(sessions: SessionMaker) -> None:
    started = asyncio.Event()
    outcome: list[str] = []

    async def slow(job: Job, deps: Any) -> None:
        started.set()
        try:
            await asyncio.sleep(30)
            outcome.append("finished")
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise

    job_id = await add(sessions)
    worker = Worker(sessions, registry_of("echo", slow), None, worker_id="a", lease_seconds=0.3)
    running = asyncio.create_task(worker.run_once())
    await started.wait()
    # Worker b, whose clock says the lease has expired, takes the job over.
    later = utcnow() + timedelta(seconds=5)
    assert await claim(sessions, worker_id="b", lease_seconds=60, now=later) is not None

    assert await asyncio.wait_for(running, 2) is not None
    assert outcome == ["cancelled"]
    job = await load(sessions, job_id)
    assert (job.status, job.lease_owner, job.attempts) == (JobStatus.RUNNING, "b", 2)


async def test_a_job_killed_mid_run_is_run_again_and_finished_once(
    sessions: SessionMaker,
) -> None:
    """Worker a is killed inside the handler; after its lease expires worker b re-runs it.

    The handler runs twice (at-least-once delivery), so it is written idempotently, as every
    job handler must be: its side effect is keyed by the job and applied once.
    """
    runs: Counter[str] = Counter()
    effects: dict[int, str] = {}
    kill_point = asyncio.Event()

    async def idempotent(job: Job, deps: Any) -> None:
        assert job.id is not None
        runs[deps] += 1
        effects.setdefault(job.id, f"made by {deps}")
        if deps == "a":
            kill_point.set()
            await asyncio.sleep(30)  # killed here

    job_id = await add(sessions)
    # A long lease, run out by hand below: a short real one can run out on a loaded machine
    # before the "still holds" check, which is then a false failure.
    a = Worker(sessions, registry_of("echo", idempotent), "a", worker_id="a", lease_seconds=60)
    b = Worker(sessions, registry_of("echo", idempotent), "b", worker_id="b", lease_seconds=60)
    killed = asyncio.create_task(a.run_once())
    await kill_point.wait()
    killed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await killed

    assert (await load(sessions, job_id)).status is JobStatus.RUNNING
    assert await b.run_once() is None  # a's lease still holds
    await run_out_lease(sessions, job_id)
    assert await b.drain() == 1

    done = await load(sessions, job_id)
    assert (done.status, done.attempts, done.lease_owner) == (JobStatus.DONE, 2, None)
    assert runs == Counter({"a": 1, "b": 1})
    assert effects == {job_id: "made by a"}
    assert await complete(sessions, job_id=job_id, worker_id="a") is False
    assert await b.drain() == 0


async def test_a_job_that_kills_its_worker_every_time_ends_dead_after_its_attempts(
    sessions: SessionMaker,
) -> None:
    """A poison job: each worker that runs it dies in the handler (as under kill -9), its lease
    expires, and the next worker reclaims it. After max_attempts runs it is dead, with why, and
    its kind's `on_dead` is told once; no worker runs it again."""
    runs: list[str] = []
    told: list[tuple[int | None, str | None]] = []
    kill_point = asyncio.Event()

    async def poison(job: Job, deps: Any) -> None:
        runs.append(deps)
        kill_point.set()
        await asyncio.sleep(30)  # the worker dies here

    async def on_dead(job: Job, deps: Any) -> None:
        told.append((job.id, job.last_error))

    registry = JobRegistry()
    registry.add("poison", poison, on_dead=on_dead)
    job_id = await add(sessions, kind="poison", max_attempts=3)
    for name in ("a", "b", "c"):
        worker = Worker(sessions, registry, name, worker_id=name, lease_seconds=0.2)
        kill_point.clear()
        killed = asyncio.create_task(worker.run_once())
        await kill_point.wait()
        killed.cancel()
        with pytest.raises(asyncio.CancelledError):
            await killed
        await asyncio.sleep(0.25)  # its lease runs out

    survivor = Worker(sessions, registry, "d", worker_id="d", lease_seconds=0.2)
    assert await survivor.drain() == 0
    assert runs == ["a", "b", "c"]
    dead = await load(sessions, job_id)
    assert (dead.status, dead.attempts) == (JobStatus.DEAD, 3)
    assert told == [(job_id, dead.last_error)]
    assert dead.last_error is not None and "stopped during attempt 3 of 3" in dead.last_error
    assert await survivor.drain() == 0 and len(told) == 1


async def test_an_on_dead_hook_that_fails_is_logged_and_the_job_stays_dead(
    sessions: SessionMaker, caplog: pytest.LogCaptureFixture
) -> None:
    async def on_dead(job: Job, deps: Any) -> None:
        raise RuntimeError("GitHub is down")

    registry = JobRegistry()
    registry.add("poison", _never_finishes, on_dead=on_dead)
    job_id = await add(sessions, kind="poison", max_attempts=1)
    await _run_and_kill(Worker(sessions, registry, None, worker_id="a", lease_seconds=0.1))
    await asyncio.sleep(0.15)
    with caplog.at_level(logging.ERROR):
        assert await Worker(sessions, registry, None, worker_id="b").drain() == 0
    assert (await load(sessions, job_id)).status is JobStatus.DEAD
    assert "is dead" in caplog.text and "GitHub is down" in caplog.text


async def _never_finishes(job: Job, deps: Any) -> None:
    await asyncio.sleep(30)


async def _run_and_kill(worker: Worker) -> None:
    running = asyncio.create_task(worker.run_once())
    await asyncio.sleep(0.05)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running


class ProjectLog:
    """Records, per project, how many jobs run at once; any overlap is remembered."""

    def __init__(self) -> None:
        self.active: Counter[int] = Counter()
        self.overlaps: list[int] = []
        self.peak_total = 0
        self.done: Counter[int] = Counter()

    async def handler(self, job: Job, deps: Any) -> None:
        project = job.project_id
        assert project is not None and job.id is not None
        self.active[project] += 1
        if self.active[project] > 1:
            self.overlaps.append(project)
        self.peak_total = max(self.peak_total, sum(self.active.values()))
        await asyncio.sleep(0.02)
        self.active[project] -= 1
        self.done[job.id] += 1


async def run_until_done(workers: list[Worker], sessions: SessionMaker, total: int) -> None:
    stop = asyncio.Event()
    running = [asyncio.create_task(worker.run(stop)) for worker in workers]
    try:
        for _ in range(1500):
            async with sessions() as session:
                if (await counts(session))[JobStatus.DONE] == total:
                    break
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await asyncio.gather(*running)


async def test_jobs_of_one_project_never_overlap_and_projects_run_in_parallel(
    sessions: SessionMaker, database_url: str
) -> None:
    """Three workers on their own engines, four claim loops each, 36 jobs over 3 projects."""
    log = ProjectLog()
    ids = [await add(sessions, project_id=n % 3 + 1) for n in range(36)]
    engines = [make_engine(database_url) for _ in range(3)]
    workers = [
        Worker(make_sessionmaker(e), registry_of("echo", log.handler), None, poll_seconds=0.01)
        for e in engines
    ]
    try:
        await run_until_done(workers, sessions, len(ids))
    finally:
        for e in engines:
            await e.dispose()

    assert log.overlaps == []
    assert log.peak_total >= 2
    assert log.done == Counter({job_id: 1 for job_id in ids})


async def test_run_stops_after_the_running_job_and_beats(sessions: SessionMaker) -> None:
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow(job: Job, deps: Any) -> None:
        started.set()
        await release.wait()

    job_id = await add(sessions)
    stop = asyncio.Event()
    worker = Worker(sessions, registry_of("echo", slow), None, concurrency=2, poll_seconds=0.01)
    running = asyncio.create_task(worker.run(stop))
    await started.wait()
    stop.set()
    await asyncio.sleep(0.05)
    assert not running.done()  # the job in flight finishes first
    release.set()
    await asyncio.wait_for(running, 2)

    assert (await load(sessions, job_id)).status is JobStatus.DONE
    async with sessions() as session:
        assert await latest_beat(session) is not None


async def test_the_claim_loops_stand_aside_while_the_intake_is_busy(
    sessions: SessionMaker,
) -> None:
    """`serve`'s worker claims nothing while deliveries wait to be stored, and starts as soon
    as the intake is idle, without a poll in between."""
    ran = asyncio.Event()

    async def echo(job: Job, deps: Any) -> None:
        ran.set()

    intake_idle = asyncio.Event()  # busy: a delivery is waiting to be stored
    job_id = await add(sessions)
    stop = asyncio.Event()
    worker = Worker(
        sessions, registry_of("echo", echo), None, poll_seconds=30, yield_to=intake_idle.wait
    )
    running = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.2)
    assert not ran.is_set() and (await load(sessions, job_id)).status is JobStatus.QUEUED
    intake_idle.set()
    await asyncio.wait_for(ran.wait(), 2)  # long before the 30 s poll
    stop.set()
    await asyncio.wait_for(running, 5)
    assert (await load(sessions, job_id)).status is JobStatus.DONE


def test_log_context_puts_fields_on_records_without_overriding_extra() -> None:
    record = logging.makeLogRecord({"msg": "x", "job_id": 99})
    plain = logging.makeLogRecord({"msg": "y"})
    with log_context(job_id=1, job_kind="echo"), log_context(project_id=3):
        ContextFilter().filter(record)
        ContextFilter().filter(plain)
    after = logging.makeLogRecord({"msg": "z"})
    ContextFilter().filter(after)

    assert (record.job_id, record.job_kind, record.project_id) == (99, "echo", 3)  # type: ignore[attr-defined]
    assert (plain.job_id, plain.project_id) == (1, 3)  # type: ignore[attr-defined]
    assert not hasattr(after, "job_id")
