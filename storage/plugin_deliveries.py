"""What each plugin was given of each event: one row per (event key, plugin).

The `plugin_event` job writes a row once a plugin's hook has answered (or failed, or run out of
time) and asks for it before calling, so a job that runs again after a crash calls no plugin a
second time for the same event. Only the call the crash interrupted can be made twice: nothing
was recorded of it, and whether it reached its endpoint cannot be known.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.states import enum_column
from storage.types import UTCDateTime, utcnow
from storage.upsert import insert_ignore

ERROR_LIMIT = 2000


class Outcome(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"  # the hook raised: logged, not called again
    TIMED_OUT = "timed_out"  # no answer within PLUGIN_TIMEOUT_SECONDS


class PluginDelivery(SQLModel, table=True):
    __tablename__ = "plugin_deliveries"
    __table_args__ = (UniqueConstraint("event_key", "plugin", name="uq_plugin_delivery"),)

    id: int | None = Field(default=None, primary_key=True)
    event_key: str = Field(max_length=255)
    plugin: str = Field(max_length=128)
    hook: str = Field(max_length=64)
    project_id: int | None = Field(default=None, index=True)
    outcome: Outcome = Field(sa_type=enum_column(Outcome, "plugin_outcome"))
    error: str | None = Field(default=None, max_length=ERROR_LIMIT)
    seconds: float = 0.0  # how long the call took
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def find_delivery(
    session: AsyncSession, *, event_key: str, plugin: str
) -> PluginDelivery | None:
    statement = select(PluginDelivery).where(
        PluginDelivery.event_key == event_key, PluginDelivery.plugin == plugin
    )
    return (await session.exec(statement)).first()


async def record_delivery(session: AsyncSession, row: PluginDelivery) -> bool:
    """Stores the row unless one for its event and plugin is there; True when stored."""
    values = row.model_dump(exclude={"id"})
    if values["error"] is not None:
        values["error"] = values["error"][:ERROR_LIMIT]
    return await insert_ignore(session, PluginDelivery, values, conflict=["event_key", "plugin"])


async def project_deliveries(session: AsyncSession, *, project_id: int) -> list[PluginDelivery]:
    statement = (
        select(PluginDelivery)
        .where(PluginDelivery.project_id == project_id)
        .order_by(col(PluginDelivery.id))
    )
    return list((await session.exec(statement)).all())
