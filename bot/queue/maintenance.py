"""Periodic upkeep jobs, every hour: expired response-cache entries are removed, and rows past
their retention (deliveries, finished jobs, the ledger when asked: RETAIN_*_DAYS) are pruned.

The worker enqueues each periodic job with a dedupe key naming its time bucket, so any number
of workers on any number of machines produce exactly one run per interval.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.settings import Settings
from storage import cache
from storage.db import SessionMaker, transaction
from storage.jobs import Job, NewJob, enqueue
from storage.retention import Retention, prune
from storage.types import utcnow

log = logging.getLogger(__name__)

PURGE_CACHE = "purge_cache"
PRUNE = "prune"


@dataclass(frozen=True)
class Periodic:
    kind: str
    every: timedelta

    def dedupe_key(self, now: datetime) -> str:
        bucket = int(now.timestamp() // self.every.total_seconds())
        return f"{self.kind}:{bucket}"


PERIODIC = (Periodic(PURGE_CACHE, timedelta(hours=1)), Periodic(PRUNE, timedelta(hours=1)))


def retention(settings: Settings) -> Retention:
    """The settings' retention; 0 days keeps that kind of row for good."""

    def days(value: int) -> timedelta | None:
        return timedelta(days=value) if value else None

    return Retention(
        deliveries=days(settings.retain_deliveries_days),
        jobs=days(settings.retain_jobs_days),
        ledger=days(settings.retain_ledger_days),
    )


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


async def run_prune(job: Job, deps: Any) -> None:
    for pruned in await prune(deps.sessions, retention(deps.settings)):
        if pruned.rows:
            log.info("pruned %d %s older than %s", pruned.rows, pruned.name, pruned.kept_for)
