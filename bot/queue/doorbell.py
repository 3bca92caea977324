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

import psycopg
from sqlalchemy.engine import make_url

from storage.db import is_postgres
from storage.job_signal import CHANNEL, on_jobs_added

logger = logging.getLogger(__name__)

RECONNECT_SECONDS = 5.0


class Doorbell:
    """An event every idle claim loop waits on, beside its poll timeout. `database_url`: the
    queue's database, listened to when it is PostgreSQL (by `listen`, which the worker runs)."""

    def __init__(self, database_url: str | None = None) -> None:
        self._rung = asyncio.Event()
        self.database_url = database_url if database_url and is_postgres(database_url) else None
        self._unregister = on_jobs_added(self.ring)

    def ring(self) -> None:
        self._rung.set()

    async def wait(self, stop: asyncio.Event, seconds: float) -> None:
        """Until the bell rings, `stop` is set or `seconds` pass (the poll)."""
        waits = [asyncio.ensure_future(self._rung.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
        self._rung.clear()

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
