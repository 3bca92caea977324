"""Wakes a worker's idle claim loops as soon as a job is added, rather than at the next poll.

In this process, `storage.job_signal` rings the bell after the commit that added jobs (the
web intake and the worker of `serve` share it). From other processes, on PostgreSQL, a
connection kept for it `LISTEN`s on the jobs channel; if that connection fails the bell goes
quiet, the poll carries on alone, and the listener reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from storage.db import is_postgres
from storage.job_signal import CHANNEL, on_jobs_added

logger = logging.getLogger(__name__)

RECONNECT_SECONDS = 5.0


class Doorbell:
    """What idle claim loops wait on, beside their poll timeout. `database_url`: the queue's
    database, listened to when it is PostgreSQL (by `listen`, which the worker runs).

    A ring wakes one waiting loop, not all of them: every loop of every worker process
    waking on each new job, all claiming at once for the one job, was the queue's claim
    latency with four workers on two cores. A loop that claimed a job rings again
    (`Worker.run_once`), so a burst of jobs wakes loops one after another, as many as
    there are jobs."""

    def __init__(self, database_url: str | None = None) -> None:
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._rung = False  # rung while nobody waited: the next wait returns at once
        self.database_url = database_url if database_url and is_postgres(database_url) else None
        self._unregister = on_jobs_added(self.ring)

    def ring(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():  # a loop that gave up waiting (its poll ran out) is skipped
                waiter.set_result(None)
                return
        self._rung = True

    async def wait(self, stop: asyncio.Event, seconds: float) -> None:
        """Until a ring reaches this loop, `stop` is set or `seconds` pass (the poll)."""
        if self._rung:
            self._rung = False
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        stopping = asyncio.ensure_future(stop.wait())
        either: list[asyncio.Future[Any]] = [waiter, stopping]
        try:
            await asyncio.wait(either, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            waiter.cancel()  # no-op once rung; otherwise `ring` skips it

    def close(self) -> None:
        self._unregister()

    async def listen(self, stop: asyncio.Event) -> None:
        """Rings for every NOTIFY on the jobs channel until `stop` (PostgreSQL only)."""
        if self.database_url is None:
            return
        url = make_url(self.database_url).set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        while not stop.is_set():
            try:
                async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    while not stop.is_set():
                        async for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self.ring()
            except psycopg.Error:
                logger.warning("job notifications lost; polling until they are back", exc_info=True)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), RECONNECT_SECONDS)
