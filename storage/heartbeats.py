"""Worker heartbeats: each worker stamps its row every few seconds; /health reads the freshest."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import SessionMaker, transaction
from storage.types import UTCDateTime, utcnow

# Rows of workers silent for longer than this are deleted: each restart brings a new worker id.
FORGET_AFTER = timedelta(days=1)


class WorkerHeartbeat(SQLModel, table=True):
    __tablename__ = "worker_heartbeats"

    worker_id: str = Field(primary_key=True, max_length=255)
    beat_at: datetime = Field(sa_type=UTCDateTime)
    started_at: datetime = Field(sa_type=UTCDateTime)
    hostname: str = Field(max_length=255)
    pid: int


async def beat(sessions: SessionMaker, *, worker_id: str, now: datetime | None = None) -> None:
    """Records that `worker_id` (running on this host and process) is alive at `now`."""
    now = now or utcnow()
    async with transaction(sessions) as session:
        insert = (
            postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        )
        statement = insert(WorkerHeartbeat).values(
            worker_id=worker_id,
            beat_at=now,
            started_at=now,
            hostname=socket.gethostname(),
            pid=os.getpid(),
        )
        await session.exec(
            statement.on_conflict_do_update(
                index_elements=["worker_id"], set_={"beat_at": statement.excluded.beat_at}
            )
        )
        forgotten = col(WorkerHeartbeat.beat_at) < now - FORGET_AFTER
        await session.exec(delete(WorkerHeartbeat).where(forgotten))


async def latest_beat(session: AsyncSession) -> datetime | None:
    """The most recent heartbeat of any worker, None when no worker ever beat."""
    statement = select(func.max(col(WorkerHeartbeat.beat_at)))
    latest: datetime | None = (await session.exec(statement)).one()
    return latest
