"""The Apps that have reported CI on a repository (a check run of theirs was seen there).

GitHub creates a queued check suite on every push for every App with the checks permission,
including Apps that never run anything; a suite counts as CI that will report only when its
App is known here (or it already has runs). Learnt from `check_run` events and from the check
runs the app reads on a commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import UTCDateTime, utcnow
from storage.upsert import insert_ignore


class CIApp(SQLModel, table=True):
    __tablename__ = "ci_apps"

    repo_id: int = Field(primary_key=True, sa_type=BigInteger)
    app_id: int = Field(primary_key=True, sa_type=BigInteger)
    app_slug: str = Field(max_length=255)
    seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def remember_ci_app(session: AsyncSession, *, repo_id: int, app_id: int, slug: str) -> None:
    """Records that `app_id` reported a check run on the repository (once; later sightings
    change nothing)."""
    values = {"repo_id": repo_id, "app_id": app_id, "app_slug": slug[:255], "seen_at": utcnow()}
    await insert_ignore(session, CIApp, values, conflict=["repo_id", "app_id"])


async def ci_app_ids(session: AsyncSession, *, repo_id: int) -> set[int]:
    statement = select(CIApp.app_id).where(col(CIApp.repo_id) == repo_id)
    return {int(app_id) for app_id in (await session.exec(statement)).all()}
