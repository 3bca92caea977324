"""The audit trail of accepted slash commands: who ran what, where, when, and the result."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import UTCDateTime, utcnow


class Outcome(StrEnum):
    DONE = "done"
    REFUSED = "refused"
    FAILED = "failed"


class AuditEntryCreate(SQLModel):
    project_id: int | None = Field(default=None, index=True)
    repository: str = Field(max_length=255)
    actor: str = Field(max_length=255)
    command: str = Field(max_length=64)
    argument: str = Field(default="", max_length=1000)
    location: str = Field(max_length=255)  # "issue #12" or "pull request #34"
    # GitHub's comment ids passed 2**31 long ago: BIGINT.
    comment_id: int | None = Field(default=None, sa_type=BigInteger)
    # The job of an action taken from the dashboard or the API (no comment): a re-run of that
    # job finds its row here and does not act twice.
    job_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    outcome: Outcome = Field(max_length=16)
    result: str = Field(default="", max_length=2000)


class AuditEntry(AuditEntryCreate, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


async def record_command(
    session: AsyncSession, entry: AuditEntryCreate, *, now: datetime | None = None
) -> AuditEntry:
    row = AuditEntry.model_validate(entry, update={"created_at": now or utcnow()})
    session.add(row)
    await session.flush()
    return row


async def audit_entries(
    session: AsyncSession, *, project_id: int | None = None, limit: int = 50
) -> list[AuditEntry]:
    """The newest entries first, of one project or of all."""
    statement = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
    if project_id is not None:
        statement = statement.where(AuditEntry.project_id == project_id)
    return list((await session.exec(statement)).all())


async def job_entry(session: AsyncSession, *, job_id: int) -> AuditEntry | None:
    """The entry an action job wrote, if it ran before (its worker died after acting)."""
    statement = select(AuditEntry).where(AuditEntry.job_id == job_id)
    return (await session.exec(statement)).first()


async def comment_entries(
    session: AsyncSession, *, project_id: int, comment_id: int
) -> list[AuditEntry]:
    """The entries of one comment's commands, in the order they ran (a re-run job reads
    these to skip the commands it already ran)."""
    statement = (
        select(AuditEntry)
        .where(AuditEntry.project_id == project_id, AuditEntry.comment_id == comment_id)
        .order_by(col(AuditEntry.id))
    )
    return list((await session.exec(statement)).all())
