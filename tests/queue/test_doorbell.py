"""The doorbell: an idle worker starts a new job at once, not at its next poll."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from sqlalchemy import text

from bot.queue.doorbell import Doorbell
from bot.queue.worker import Worker
from storage.db import SessionMaker, make_engine, transaction
from storage.job_signal import CHANNEL
from storage.jobs import Job, JobStatus, NewJob, enqueue
from tests.queue.test_worker import add, load, registry_of

POLL = 30.0  # so long that only the bell can explain a prompt start


async def started_within(sessions: SessionMaker, worker: Worker, seconds: float) -> float:
    """Seconds from enqueueing a job (the worker idle) to its end."""
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.3)  # the claim loops found nothing and wait
    began = time.perf_counter()
    job_id = await add(sessions)
    try:
        async with asyncio.timeout(seconds):
            while (await load(sessions, job_id)).status != JobStatus.DONE:
                await asyncio.sleep(0.01)
        return time.perf_counter() - began
    finally:
        stop.set()
        await running


async def echo(job: Job, deps: Any) -> None:
    return None


async def test_a_job_added_in_this_process_starts_at_once(sessions: SessionMaker) -> None:
    bell = Doorbell()
    worker = Worker(sessions, registry_of("echo", echo), None, poll_seconds=POLL, doorbell=bell)
    try:
        assert await started_within(sessions, worker, 5.0) < 2.0
    finally:
        bell.close()


async def test_without_the_bell_it_waits_for_the_poll(sessions: SessionMaker) -> None:
    worker = Worker(sessions, registry_of("echo", echo), None, poll_seconds=POLL)
    with pytest.raises(TimeoutError):
        await started_within(sessions, worker, 1.5)


async def test_a_rolled_back_enqueue_rings_nothing(sessions: SessionMaker) -> None:
    bell = Doorbell()
    try:
        with pytest.raises(RuntimeError):
            async with transaction(sessions) as session:
                await enqueue(session, NewJob(kind="echo", args={}))
                raise RuntimeError("the caller fails")
        stop = asyncio.Event()
        began = time.perf_counter()
        await bell.wait(stop, 0.5)
        assert time.perf_counter() - began >= 0.45
    finally:
        bell.close()


@pytest.mark.postgres_only  # LISTEN/NOTIFY is PostgreSQL's
async def test_a_notify_from_another_process_rings_the_bell(database_url: str) -> None:
    bell, stop = Doorbell(database_url), asyncio.Event()
    bell.close()  # only the database's notification may ring it
    listening = asyncio.create_task(bell.listen(stop))
    await asyncio.sleep(0.5)  # LISTEN in place
    other = make_engine(database_url)  # as another process would: its own connection
    async with other.begin() as conn:
        await conn.execute(text(f"NOTIFY {CHANNEL}"))
    began = time.perf_counter()
    await bell.wait(stop, 5.0)
    waited = time.perf_counter() - began
    stop.set()
    await listening
    await other.dispose()
    assert waited < 2.0


async def test_a_ring_wakes_one_waiting_loop_not_all_of_them() -> None:
    """Four idle claim loops, one new job: one loop wakes to claim it (it rings on if it
    found one); the others sleep on, rather than all four querying for the one job."""
    bell = Doorbell()
    stop = asyncio.Event()
    try:
        loops = [asyncio.create_task(bell.wait(stop, 30)) for _ in range(4)]
        await asyncio.sleep(0.01)
        bell.ring()
        await asyncio.sleep(0.01)
        assert sum(loop.done() for loop in loops) == 1
        bell.ring()
        await asyncio.sleep(0.01)
        assert sum(loop.done() for loop in loops) == 2
        stop.set()
        await asyncio.wait_for(asyncio.gather(*loops), 1)
        bell.ring()  # nobody waits: the next wait returns at once
        await asyncio.wait_for(bell.wait(asyncio.Event(), 30), 0.5)
    finally:
        bell.close()
