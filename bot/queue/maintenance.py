"""Periodic upkeep jobs: expired response-cache entries are removed every hour.

The worker enqueues each periodic job with a dedupe key naming its time bucket, so any number
of workers on any number of machines produce exactly one run per interval.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storage import cache
from storage.db import SessionMaker, transaction
from storage.jobs import Job, NewJob, enqueue
from storage.types import utcnow

log = logging.getLogger(__name__)

PURGE_CACHE = "purge_cache"


@dataclass(frozen=True)
class Periodic:
    kind: str
    every: timedelta

    def dedupe_key(self, now: datetime) -> str:
        bucket = int(now.timestamp() // self.every.total_seconds())
        return f"{self.kind}:{bucket}"


PERIODIC = (Periodic(PURGE_CACHE, timedelta(hours=1)),)


async def schedule_periodic(
    sessions: SessionMaker, periodic: tuple[Periodic, ...] = PERIODIC, now: datetime | None = None
) -> int:
    """Enqueues each periodic job once for the current interval; returns how many were new."""
    moment = now or utcnow()
    added = 0
    async with transaction(sessions) as session:
        for item in periodic:
            job = await enqueue(
                session, NewJob(kind=item.kind, args={}, dedupe_key=item.dedupe_key(moment))
            )
            added += job is not None
    return added


async def run_purge_cache(job: Job, deps: Any) -> None:
    async with transaction(deps.sessions) as session:
        removed = await cache.purge_expired(session, now=utcnow())
    log.info("removed %d expired cache entries", removed)
