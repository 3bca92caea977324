"""Periodic upkeep: one run of each upkeep job per hour whatever the number of workers; the
cache purge removes expired cache entries and nothing else (retention: test_retention.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import select

from bot.queue.jobs import build_registry
from bot.queue.maintenance import PRUNE, PURGE_CACHE, schedule_periodic
from bot.queue.worker import Worker
from bot.settings import Settings
from storage import cache
from storage.db import SessionMaker, transaction
from storage.jobs import Job, JobStatus
from storage.types import utcnow


async def store(sessions: SessionMaker, key: str, ttl: timedelta) -> None:
    async with transaction(sessions) as session:
        await cache.store(
            session,
            project_id=1,
            key=key,
            step="s",
            input_hash="h",
            value={},
            depends_on=[],
            ttl=ttl,
            input_tokens=1,
            output_tokens=1,
            cost_nanousd=1,
            now=utcnow() - timedelta(hours=2),
        )


async def test_one_run_of_each_upkeep_job_per_hour_from_many_workers(
    sessions: SessionMaker,
) -> None:
    now = utcnow()
    added = [await schedule_periodic(sessions, now=now) for _ in range(3)]
    assert added == [2, 0, 0]  # the cache purge and the prune
    assert await schedule_periodic(sessions, now=now + timedelta(hours=1)) == 2
    async with sessions() as session:
        kinds = sorted((await session.exec(select(Job.kind))).all())
    assert kinds == [PRUNE, PRUNE, PURGE_CACHE, PURGE_CACHE]


async def test_worker_heartbeat_schedules_and_runs_the_purge(
    sessions: SessionMaker, database_url: str
) -> None:
    await store(sessions, "brainstorming_features", ttl=timedelta(hours=1))  # expired
    await store(sessions, "system_architecture_plan", ttl=timedelta(hours=72))
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    deps = type("Deps", (), {"sessions": sessions, "settings": settings})()
    worker = Worker(
        sessions,
        build_registry(),
        deps,
        poll_seconds=0.01,
        heartbeat_seconds=0.01,
        on_beat=lambda: schedule_periodic(sessions),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    for _ in range(500):
        async with sessions() as session:
            jobs = (await session.exec(select(Job).where(Job.kind == PURGE_CACHE))).all()
        if jobs and jobs[0].status is JobStatus.DONE:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await task
    assert [job.status for job in jobs] == [JobStatus.DONE]
    async with sessions() as session:
        keys = (await session.exec(select(cache.CacheEntry.key))).all()
    assert keys == ["system_architecture_plan"]
