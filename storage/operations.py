"""The operators' read models: all deliveries, the job queue, installations, newest first.

Pages are offset-based (`limit` + 1 rows are read, so the caller knows whether a next page
exists without a count over a table that grows with every webhook).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.deliveries import Delivery, DeliveryStatus
from storage.installations import Installation
from storage.job_table import Job, JobStatus

Row = TypeVar("Row")


@dataclass(frozen=True)
class Page(Generic[Row]):
    rows: Sequence[Row]
    offset: int
    limit: int
    more: bool  # a next page exists


def _page(found: Sequence[Row], offset: int, limit: int) -> Page[Row]:
    return Page(rows=list(found[:limit]), offset=offset, limit=limit, more=len(found) > limit)


async def delivery_page(
    session: AsyncSession,
    *,
    status: DeliveryStatus | None = None,
    event: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[Delivery]:
    """Deliveries, newest first, of one status and event when given."""
    statement = select(Delivery).order_by(col(Delivery.received_at).desc(), col(Delivery.id))
    if status is not None:
        statement = statement.where(Delivery.status == status)
    if event:
        statement = statement.where(Delivery.event == event)
    found = (await session.exec(statement.offset(offset).limit(limit + 1))).all()
    return _page(found, offset, limit)


async def job_page(
    session: AsyncSession,
    *,
    statuses: Sequence[JobStatus] = (),
    project_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[Job]:
    """Jobs, newest first, of the given statuses (all when empty) and project (when given)."""
    statement = select(Job).order_by(col(Job.id).desc())
    if statuses:
        statement = statement.where(col(Job.status).in_(list(statuses)))
    if project_id is not None:
        statement = statement.where(Job.project_id == project_id)
    found = (await session.exec(statement.offset(offset).limit(limit + 1))).all()
    return _page(found, offset, limit)


async def all_installations(session: AsyncSession) -> list[Installation]:
    """Every installation the app has heard of, deleted ones last."""
    statement = select(Installation).order_by(
        col(Installation.deleted_at).is_not(None), col(Installation.account)
    )
    return list((await session.exec(statement)).all())
