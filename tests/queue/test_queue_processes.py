"""Two worker processes drain one PostgreSQL queue: each job once, a project's jobs one by one."""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import random
import time
from collections import defaultdict
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.queue.worker import JobRegistry, Worker
from storage.db import SessionMaker, make_engine, make_sessionmaker, transaction
from storage.jobs import Job, JobStatus, NewJob, counts, enqueue

JOBS = 300
PROJECTS = 20

CREATE_RUNS = """
CREATE TABLE queue_runs (
    job_id INTEGER NOT NULL, project_id INTEGER NOT NULL, worker TEXT NOT NULL,
    started_ns BIGINT NOT NULL, finished_ns BIGINT NOT NULL
)
"""
INSERT_RUN = """
INSERT INTO queue_runs (job_id, project_id, worker, started_ns, finished_ns)
VALUES (:job_id, :project_id, :worker, :started_ns, :finished_ns)
"""


async def record_run(job: Job, deps: tuple[AsyncEngine, str]) -> None:
    """The job's one side effect: a row saying who ran it and when (wall clock, one machine)."""
    engine, worker = deps
    started = time.time_ns()
    await asyncio.sleep(random.uniform(0.002, 0.02))
    row = {
        "job_id": job.id,
        "project_id": job.project_id,
        "worker": worker,
        "started_ns": started,
        "finished_ns": time.time_ns(),
    }
    async with engine.begin() as connection:
        await connection.execute(text(INSERT_RUN), row)


async def serve_until_drained(url: str, name: str) -> None:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    registry = JobRegistry()
    registry.add("record", record_run)
    worker = Worker(sessions, registry, (engine, name), concurrency=4, poll_seconds=0.01)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    while not running.done():
        async with sessions() as session:
            left = await counts(session)
        if left[JobStatus.QUEUED] + left[JobStatus.RUNNING] == 0:
            stop.set()
        await asyncio.sleep(0.05)
    await running
    await engine.dispose()


def worker_process(url: str, name: str, start: Any) -> None:
    start.wait(30)
    asyncio.run(serve_until_drained(url, name))


async def enqueue_jobs(sessions: SessionMaker) -> set[int]:
    ids = set()
    async with transaction(sessions) as session:
        for n in range(JOBS):
            new = NewJob(kind="record", args={"n": n}, project_id=n % PROJECTS)
            job = await enqueue(session, new)
            assert job is not None and job.id is not None
            ids.add(job.id)
    return ids


async def runs(engine: AsyncEngine) -> list[tuple[int, int, str, int, int]]:
    async with engine.connect() as connection:
        result = await connection.execute(text("SELECT * FROM queue_runs ORDER BY started_ns"))
        return [tuple(row) for row in result.all()]


@pytest.mark.postgres_only
@pytest.mark.slow
async def test_two_worker_processes_run_every_job_exactly_once(
    database_url: str, engine: AsyncEngine, sessions: SessionMaker
) -> None:
    async with engine.begin() as connection:
        await connection.execute(text(CREATE_RUNS))
    ids = await enqueue_jobs(sessions)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(3)
    processes = [
        context.Process(target=worker_process, args=(database_url, name, start))
        for name in ("p1", "p2")
    ]
    for process in processes:
        process.start()
    start.wait(60)  # both processes are up before either can take a job
    for process in processes:
        process.join(60)
    for process in processes:
        if process.is_alive():
            process.kill()
    assert [process.exitcode for process in processes] == [0, 0]

    ran = await runs(engine)
    assert sorted(job_id for job_id, *_ in ran) == sorted(ids)  # each job once, none twice
    assert {worker for _, _, worker, _, _ in ran} == {"p1", "p2"}
    async with sessions() as session:
        assert (await counts(session))[JobStatus.DONE] == JOBS
    by_project: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for _, project, _, started, finished in ran:
        by_project[project].append((started, finished))
    for spans in by_project.values():
        for (_, previous_end), (next_start, _) in itertools.pairwise(spans):
            assert next_start > previous_end
