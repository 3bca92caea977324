"""Group commit for webhook deliveries: concurrent requests share one transaction.

Each delivery costs a transaction's worth of database round trips (many, through aiosqlite's
thread); under load, requests that arrive while a batch is being written wait for the next
batch, which stores all of them and their jobs in two multi-row INSERTs and one commit (on
SQLite in one call on a connection of its own: `storage.sqlite_batch`). A batch is taken
once the requests already read have reached the intake (`DeliveryIntake._gather`). A request
is answered only after its batch committed, so nothing acknowledged is ever lost.

A batch the database refuses is written again one delivery at a time: GitHub never redelivers
on its own, so the deliveries that merely shared a batch with a bad one (a `\\u0000` JSONB
refuses, an id too large for its column) must not be lost with it. A delivery refused for its
content is kept as a failure with the reason; one that failed for any other reason (the
database away) is not recorded, so that a redelivery from GitHub can still store it.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from storage.db import SessionMaker, transaction
from storage.deliveries import (
    NewDelivery,
    record_deliveries,
    record_deliveries_sync,
    record_unstored,
)
from storage.job_signal import ring as ring_jobs_added
from storage.jobs import NewJob, enqueue_many, enqueue_many_sync
from storage.sqlite_batch import SQLiteWriter

log = logging.getLogger(__name__)

DELIVERY_JOB = "delivery"
# How long the intake must have had nothing to store before `serve`'s worker claims a job.
QUIET_SECONDS = 0.02
# A batch is taken once this many turns of the event loop in a row added nothing to it, or
# after `GATHER_SECONDS` at most (see `DeliveryIntake._gather`).
GATHER_TURNS = 2
GATHER_SECONDS = 0.002
# What the database (or its driver, binding a value) raises for what a delivery holds.
_REFUSED_CONTENT = (DataError, IntegrityError, OverflowError, ValueError)
Pending = tuple[NewDelivery, "asyncio.Future[bool]"]


class DeliveryNotStored(Exception):
    """The delivery was not stored for handling; `recorded`: it is kept as a failure."""

    def __init__(self, reason: str, *, recorded: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.recorded = recorded


def refusal_reason(exc: BaseException) -> str:
    """The database's own one-line reason (the driver's message, without SQL or values)."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"[:500]


def delivery_job_key(delivery_id: str) -> str:
    return f"delivery:{delivery_id}"


def delivery_jobs(new_ids: set[str]) -> list[NewJob]:
    """One handling job for each new delivery."""
    return [
        NewJob(
            kind=DELIVERY_JOB,
            args={"delivery_id": delivery_id},
            dedupe_key=delivery_job_key(delivery_id),
        )
        for delivery_id in sorted(new_ids)
    ]


async def store_batch(
    sessions: SessionMaker, deliveries: list[NewDelivery], writer: SQLiteWriter | None = None
) -> set[str]:
    """Stores the deliveries and one handling job for each new one; returns the new ids. With
    a `writer` (SQLite), in one hand-over to its thread; otherwise through a session."""
    if writer is not None:
        new_ids = await writer.run(partial(_store_on, writer.dialect, deliveries))
        if new_ids:
            ring_jobs_added()
        return new_ids
    async with transaction(sessions) as session:
        new_ids = await record_deliveries(session, deliveries)
        await enqueue_many(session, delivery_jobs(new_ids))
    return new_ids


def _store_on(
    dialect: Dialect, deliveries: list[NewDelivery], connection: sqlite3.Connection
) -> set[str]:
    new_ids = record_deliveries_sync(connection, dialect, deliveries)
    enqueue_many_sync(connection, dialect, delivery_jobs(new_ids))
    return new_ids


@dataclass
class DeliveryIntake:
    sessions: SessionMaker
    # SQLite's one-hand-over path (`storage.sqlite_batch`); None: through sessions.
    writer: SQLiteWriter | None = None
    max_batch: int = 200
    _pending: list[Pending] = field(default_factory=list)
    _writer: asyncio.Task[None] | None = None
    # Set while no delivery waits to be stored, since `_idle_since`: `serve`'s worker claims
    # only once the intake has been quiet for `QUIET_SECONDS`.
    _idle: asyncio.Event = field(default_factory=asyncio.Event)
    _idle_since: float = float("-inf")

    def __post_init__(self) -> None:
        self._idle.set()

    async def idle(self) -> None:
        """Returns once no delivery has waited to be stored for `QUIET_SECONDS` (at once,
        without yielding, when the intake is long quiet): the in-process worker stands aside
        for the intake. Not merely "nothing waits right now": under load the next request
        arrives a fraction of a millisecond after a batch is answered, and a job claimed in
        that gap held the event loop (and the one SQLite connection) for milliseconds while
        requests queued behind it. With 8 connections that cost two thirds of the rate."""
        while True:
            await self._idle.wait()
            quiet_for = time.monotonic() - self._idle_since
            if quiet_for >= QUIET_SECONDS:
                return
            await asyncio.sleep(QUIET_SECONDS - quiet_for)

    async def close(self) -> None:
        if self._writer is not None:
            await asyncio.wait([self._writer])  # answers what it holds
        if self.writer is not None:
            await self.writer.close()

    async def submit(self, delivery: NewDelivery) -> bool:
        """Stores `delivery` with its job; True when new, False for a redelivery. Raises
        `DeliveryNotStored` when the database would not store it."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((delivery, future))
        self._idle.clear()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="delivery-intake")
        return await future

    async def _write_all(self) -> None:
        try:
            while self._pending:
                await self._write_next()
        finally:  # nothing waits: the same turn of the loop that found the list empty
            self._idle_since = time.monotonic()
            self._idle.set()

    async def _gather(self) -> None:
        """Lets the requests already read reach `submit` before a batch is taken. After a
        commit the loop has not yet read what arrived meanwhile: a request needs a turn to be
        parsed and another to reach `submit`, so a batch taken at once held a handful of
        deliveries and the rest waited a whole commit for the next one. Under wrk at 64
        connections batches averaged 32 deliveries, a quarter of them under 10; waiting for two
        quiet turns (some 20 µs each when nothing is ready) made most of them full, and the
        rate 13% higher at 64 connections and 30% at 8."""
        deadline = time.monotonic() + GATHER_SECONDS
        quiet = 0
        while quiet < GATHER_TURNS and len(self._pending) < self.max_batch:
            if time.monotonic() >= deadline:
                return
            waiting = len(self._pending)
            await asyncio.sleep(0)  # one turn of the loop
            quiet = quiet + 1 if len(self._pending) == waiting else 0

    async def _write_next(self) -> None:
        await self._gather()
        batch = self._pending[: self.max_batch]
        del self._pending[: self.max_batch]
        try:
            new_ids = await store_batch(self.sessions, [d for d, _ in batch], self.writer)
        except Exception as exc:  # nothing of the batch was stored
            if len(batch) == 1:
                await self._refuse(batch[0], exc)
            else:
                await self._write_one_by_one(batch)
            return
        self._answer(batch, new_ids)

    async def _write_one_by_one(self, batch: list[Pending]) -> None:
        for pending in batch:
            try:
                new_ids = await store_batch(self.sessions, [pending[0]], self.writer)
            except Exception as exc:
                await self._refuse(pending, exc)
                continue
            self._answer([pending], new_ids)

    async def _refuse(self, pending: Pending, exc: Exception) -> None:
        delivery, future = pending
        reason = refusal_reason(exc)
        recorded = isinstance(exc, _REFUSED_CONTENT) and await self._record(delivery, reason)
        log.warning(
            "webhook delivery not stored (%s): %s",
            "recorded as failed" if recorded else "not recorded",
            reason,
            extra={"delivery_id": delivery.delivery_id},
        )
        if not future.done():
            future.set_exception(DeliveryNotStored(reason, recorded=recorded))

    async def _record(self, delivery: NewDelivery, reason: str) -> bool:
        try:
            async with transaction(self.sessions) as session:
                await record_unstored(session, delivery, reason)
        except Exception:
            log.exception(
                "webhook delivery not recorded as failed",
                extra={"delivery_id": delivery.delivery_id},
            )
            return False
        return True

    @staticmethod
    def _answer(batch: list[Pending], new_ids: set[str]) -> None:
        answered: set[str] = set()
        for delivery, future in batch:
            new = delivery.delivery_id in new_ids and delivery.delivery_id not in answered
            answered.add(delivery.delivery_id)
            if not future.done():
                future.set_result(new)
