"""Group commit for webhook deliveries: concurrent requests share one transaction.

Each delivery costs a transaction's worth of database round trips (many, through aiosqlite's
thread); under load, requests that arrive while a batch is being written wait for the next
batch, which stores all of them and their jobs in two multi-row INSERTs and one commit. A
request is answered only after its batch committed, so nothing acknowledged is ever lost.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from storage.db import SessionMaker, transaction
from storage.deliveries import NewDelivery, record_deliveries
from storage.jobs import NewJob, enqueue_many

DELIVERY_JOB = "delivery"


def delivery_job_key(delivery_id: str) -> str:
    return f"delivery:{delivery_id}"


async def store_batch(sessions: SessionMaker, deliveries: list[NewDelivery]) -> set[str]:
    """Stores the deliveries and one handling job for each new one; returns the new ids."""
    async with transaction(sessions) as session:
        new_ids = await record_deliveries(session, deliveries)
        jobs = [
            NewJob(
                kind=DELIVERY_JOB,
                args={"delivery_id": delivery_id},
                dedupe_key=delivery_job_key(delivery_id),
            )
            for delivery_id in sorted(new_ids)
        ]
        await enqueue_many(session, jobs)
    return new_ids


@dataclass
class DeliveryIntake:
    sessions: SessionMaker
    max_batch: int = 200
    _pending: list[tuple[NewDelivery, asyncio.Future[bool]]] = field(default_factory=list)
    _writer: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        """Deliveries are waiting to be stored (the in-process worker yields meanwhile)."""
        return bool(self._pending) or (self._writer is not None and not self._writer.done())

    async def submit(self, delivery: NewDelivery) -> bool:
        """Stores `delivery` with its job; True when new, False for a redelivery."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((delivery, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="delivery-intake")
        return await future

    async def _write_all(self) -> None:
        while self._pending:
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            try:
                new_ids = await store_batch(self.sessions, [d for d, _ in batch])
            except Exception as exc:  # every waiting request answers 500; nothing was stored
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self._answer(batch, new_ids)

    @staticmethod
    def _answer(batch: list[tuple[NewDelivery, asyncio.Future[bool]]], new_ids: set[str]) -> None:
        answered: set[str] = set()
        for delivery, future in batch:
            new = delivery.delivery_id in new_ids and delivery.delivery_id not in answered
            answered.add(delivery.delivery_id)
            if not future.done():
                future.set_result(new)
