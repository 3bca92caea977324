"""The worker: claims jobs from the queue, runs their handlers under a lease, records the outcome.

Only kinds with a registered handler are claimed, so a job whose handler ships later waits in
the queue. A handler's exception fails the job, retried as `bot.queue.failures` says: GitHub's
transient failures for a time budget (`transient_budget`), its refusals never, anything else
for `max_attempts` attempts; a handler that raises `RetryLater` is requeued without using up an
attempt. A kind's `on_wait` hook hears when one of its jobs starts or stops waiting on GitHub
(a workflow step's status comment says so meanwhile). While a handler runs
its lease is renewed every third of the lease; if the lease is found lost (expired or taken by
another worker) the handler is cancelled, because another worker may already be running it.

A job whose worker died (or hung past its lease) during its last attempt is not run again: before
each claim the worker makes such jobs dead and tells their kind's `on_dead` handler, which says
so where people look (a workflow step fails its phase). A job out of time for GitHub's failures
is told the same way: only the worker knows the budget is spent, so the handler cannot say so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from agents.redact import Redactor
from bot.logcontext import log_context
from bot.queue.doorbell import Doorbell
from bot.queue.failures import classify
from storage.db import SessionMaker
from storage.heartbeats import beat
from storage.jobs import (
    TRANSIENT_BUDGET,
    Job,
    JobStatus,
    Retry,
    bury_abandoned,
    claim,
    complete,
    counted_attempts,
    fail,
    load_job,
    renew_lease,
    retry_later,
)

logger = logging.getLogger(__name__)

SCRUB = Redactor()  # credential shapes only: `last_error` is stored in the database

JobHandler = Callable[[Job, Any], Awaitable[None]]


class JobRegistry:
    """The handler for each job kind, and what to do when a job of it dies unfinished."""

    def __init__(self) -> None:
        self._handlers: dict[str, JobHandler] = {}
        self._on_dead: dict[str, JobHandler] = {}
        self._on_wait: dict[str, JobHandler] = {}

    def handler(self, kind: str) -> Callable[[JobHandler], JobHandler]:
        def register(fn: JobHandler) -> JobHandler:
            self.add(kind, fn)
            return fn

        return register

    def add(
        self,
        kind: str,
        fn: JobHandler,
        *,
        on_dead: JobHandler | None = None,
        on_wait: JobHandler | None = None,
    ) -> None:
        """`on_dead` is run once with a job of `kind` that died where its handler could not
        report it: its worker died in its last attempt, or GitHub kept failing it past the
        transient budget. `on_wait` is run (best effort) when a job of `kind` starts waiting
        on GitHub (requeued after a transient failure) and when such a job finishes."""
        if kind in self._handlers:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        self._handlers[kind] = fn
        if on_dead is not None:
            self._on_dead[kind] = on_dead
        if on_wait is not None:
            self._on_wait[kind] = on_wait

    def get(self, kind: str) -> JobHandler:
        return self._handlers[kind]

    def on_dead(self, kind: str) -> JobHandler | None:
        return self._on_dead.get(kind)

    def on_wait(self, kind: str) -> JobHandler | None:
        return self._on_wait.get(kind)

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._handlers)


class RetryLater(Exception):
    """Raised by a handler to be requeued after `delay` without counting a failure."""

    def __init__(self, delay: timedelta, reason: str) -> None:
        super().__init__(f"retry in {delay.total_seconds():g}s: {reason}")
        self.delay = delay
        self.reason = reason


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def describe_error(exc: BaseException) -> str:
    """What `last_error` keeps: the exception's type and message, not its traceback.

    Scrubbed of token- and key-shaped strings: it is stored in the database.
    """
    return SCRUB(f"{type(exc).__name__}: {exc}")


def _job_id(job: Job) -> int:
    if job.id is None:
        raise ValueError("a claimed job always has an id")
    return job.id


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    """Sleeps `seconds`, or less when `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


class Worker:
    def __init__(
        self,
        sessions: SessionMaker,
        registry: JobRegistry,
        deps: Any,
        *,
        worker_id: str | None = None,
        concurrency: int = 4,
        lease_seconds: float = 300,
        poll_seconds: float = 0.5,
        heartbeat_seconds: float = 10,
        yield_to: Callable[[], Awaitable[None]] | None = None,
        on_beat: Callable[[], Awaitable[object]] | None = None,
        transient_budget: timedelta = TRANSIENT_BUDGET,
        doorbell: Doorbell | None = None,
    ) -> None:
        self.sessions = sessions
        # Rung when jobs are added, so an idle claim loop starts them without waiting out
        # its poll (the poll stays, for jobs whose signal was lost and for backoffs ending).
        self.doorbell = doorbell
        # In `serve`, the web server shares this process and its SQLite connection: while it
        # has webhook deliveries waiting to be stored, the claim loops stand aside, so that
        # acknowledging GitHub never waits behind background work. `yield_to()` returns when
        # the intake is idle (at once when it is): an event, not a poll, so that standing
        # aside costs the busy intake nothing.
        self.yield_to = yield_to
        # Called with each heartbeat: the app schedules its periodic jobs there.
        self.on_beat = on_beat
        self.registry = registry
        self.deps = deps
        self.worker_id = worker_id or default_worker_id()
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.heartbeat_seconds = heartbeat_seconds
        # How long a job may keep failing on GitHub's transient errors before it is dead.
        self.transient_budget = transient_budget

    async def run_once(self) -> Job | None:
        """Claims one job of a registered kind and runs it; returns the job as claimed."""
        await self._bury_abandoned()
        job = await claim(
            self.sessions,
            worker_id=self.worker_id,
            lease_seconds=self.lease_seconds,
            kinds=self.registry.kinds,
        )
        if job is None:
            return None
        if self.doorbell is not None:
            self.doorbell.ring()  # there may be more: pass the ring on to the next idle loop
        with log_context(job_id=job.id, job_kind=job.kind, project_id=job.project_id):
            await self._execute(job)
        return job

    async def _bury_abandoned(self) -> None:
        """Jobs whose worker died in their last attempt end dead here, not claimed again."""
        for job in await bury_abandoned(self.sessions, kinds=self.registry.kinds):
            with log_context(job_id=job.id, job_kind=job.kind, project_id=job.project_id):
                logger.error("job is dead: %s", job.last_error)
                await self._tell_dead(job)

    async def _tell_dead(self, job: Job) -> None:
        hook = self.registry.on_dead(job.kind)
        if hook is None:
            return
        try:
            await hook(job, self.deps)
        except Exception:  # the job is dead either way; its report is best effort
            logger.exception("the report of a dead job failed")

    async def _tell_wait(self, job: Job) -> None:
        hook = self.registry.on_wait(job.kind)
        if hook is None:
            return
        try:
            await hook(job, self.deps)
        except Exception:  # GitHub may still be failing: the next report will say it
            logger.warning("the report of a job waiting on GitHub failed", exc_info=True)

    async def drain(self, *, max_jobs: int = 10_000) -> int:
        """Runs jobs one after another until none is runnable; returns how many ran."""
        ran = 0
        while ran < max_jobs and await self.run_once() is not None:
            ran += 1
        return ran

    async def run(self, stop: asyncio.Event) -> None:
        """Claim loops and the heartbeat until `stop` is set; running jobs finish first."""
        logger.info(
            "worker started",
            extra={"worker_id": self.worker_id, "job_kinds": sorted(self.registry.kinds)},
        )
        async with asyncio.TaskGroup() as group:
            group.create_task(self._heartbeat(stop))
            if self.doorbell is not None:
                group.create_task(self.doorbell.listen(stop))
            for _ in range(self.concurrency):
                group.create_task(self._claim_loop(stop))
        logger.info("worker stopped", extra={"worker_id": self.worker_id})

    async def _claim_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if self.yield_to is not None:
                await self.yield_to()
            try:
                job = await self.run_once()
            except Exception:  # the worker loop's edge: a database hiccup must not end it
                logger.exception("worker loop error", extra={"worker_id": self.worker_id})
                job = None
            if job is None:
                await self._idle(stop)

    async def _idle(self, stop: asyncio.Event) -> None:
        if self.doorbell is None:
            await _wait(stop, self.poll_seconds)
        else:
            await self.doorbell.wait(stop, self.poll_seconds)

    async def _heartbeat(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await beat(self.sessions, worker_id=self.worker_id)
                if self.on_beat is not None:
                    await self.on_beat()
            except SQLAlchemyError:
                logger.warning("heartbeat not recorded", exc_info=True)
            await _wait(stop, self.heartbeat_seconds)

    async def _execute(self, job: Job) -> None:
        job_id = _job_id(job)
        try:
            finished = await self._run_leased(job)
        except RetryLater as exc:
            await retry_later(
                self.sessions,
                job_id=job_id,
                worker_id=self.worker_id,
                delay=exc.delay,
                reason=exc.reason,
            )
            logger.info("job deferred: %s", exc)
            if job.transient_since is not None:  # it waited on GitHub: no longer
                await self._tell_wait(job)
            return
        except Exception as exc:  # the job's edge: any handler error fails the job, with context
            await self._failed(job, exc)
            return
        if not finished:
            return
        if await complete(self.sessions, job_id=job_id, worker_id=self.worker_id):
            logger.info("job done")
            if job.transient_since is not None:  # it waited on GitHub: no longer
                await self._tell_wait(job)
        else:
            logger.warning("job finished after its lease was lost; another worker owns it now")

    async def _failed(self, job: Job, exc: Exception) -> None:
        failure = classify(exc)
        counted = counted_attempts(job)
        if failure.retry is Retry.TRANSIENT:
            logger.warning("job failed on a transient error: %s", describe_error(exc))
        else:
            logger.exception("job failed (attempt %d of %d)", counted, job.max_attempts)
        status = await fail(
            self.sessions,
            job_id=_job_id(job),
            worker_id=self.worker_id,
            error=describe_error(exc),
            retry=failure.retry,
            transient_budget=self.transient_budget,
            not_before=failure.not_before,
        )
        if status is JobStatus.QUEUED and failure.retry is Retry.TRANSIENT:
            await self._tell_wait(job)
        if status is not JobStatus.DEAD:
            return
        if failure.retry is Retry.TRANSIENT:
            logger.error("job is dead: GitHub kept failing it past the transient budget")
            await self._tell_dead(await load_job(self.sessions, _job_id(job)))
        else:
            logger.error("job is dead after %d attempts", counted)

    async def _run_leased(self, job: Job) -> bool:
        """Runs the handler while renewing the lease; False if the lease was lost midway."""
        lost = asyncio.Event()
        work = asyncio.ensure_future(self.registry.get(job.kind)(job, self.deps))
        keeper = asyncio.create_task(self._keep_lease(_job_id(job), work, lost))
        try:
            await work
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if lost.is_set() and current is not None and current.cancelling() == 0:
                return False
            raise
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        return True

    async def _keep_lease(
        self, job_id: int, work: asyncio.Future[None], lost: asyncio.Event
    ) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                held = await renew_lease(
                    self.sessions,
                    job_id=job_id,
                    worker_id=self.worker_id,
                    lease_seconds=self.lease_seconds,
                )
            except SQLAlchemyError:  # try again next time: the lease has two thirds left
                logger.warning("lease not renewed", exc_info=True)
                continue
            if not held:
                logger.error("lease lost while the job ran; cancelling it to avoid a double run")
                lost.set()
                work.cancel()
                return
