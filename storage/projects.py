"""Projects: one per issue that someone with write access labelled with the trigger label."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import UTCDateTime, utcnow
from storage.upsert import insert_ignore


class ProjectStatus(StrEnum):
    PLANNING = "planning"
    AWAITING_APPROVAL = "awaiting_approval"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    FAILED = "failed"
    ABORTED = "aborted"


class ProjectBase(SQLModel):
    installation_id: int = Field(index=True)
    repo_id: int
    owner: str = Field(max_length=255)
    repo: str = Field(max_length=255)
    issue_number: int
    # The brief as it was when the project started: later edits need `/retry` to be taken in.
    issue_title: str = Field(max_length=1024)
    issue_body: str = Field(default="", max_length=262144)
    started_by: str = Field(max_length=255)


class ProjectCreate(ProjectBase):
    pass


class Project(ProjectBase, table=True):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("repo_id", "issue_number", name="uq_project_issue"),)

    id: int | None = Field(default=None, primary_key=True)
    status: ProjectStatus = Field(default=ProjectStatus.PLANNING, max_length=32)
    status_comment_id: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"


async def find_project(session: AsyncSession, *, repo_id: int, issue_number: int) -> Project | None:
    statement = select(Project).where(
        Project.repo_id == repo_id, Project.issue_number == issue_number
    )
    return (await session.exec(statement)).first()


async def create_project(
    session: AsyncSession, data: ProjectCreate, *, now: datetime | None = None
) -> tuple[Project, bool]:
    """The issue's project, created unless it exists; the flag says whether it was created.

    Two deliveries racing for the same issue both land here: the unique constraint lets one
    insert win and the other read the winner's row.
    """
    moment = now or utcnow()
    values = {
        **data.model_dump(),
        "status": ProjectStatus.PLANNING,
        "created_at": moment,
        "updated_at": moment,
    }
    created = await insert_ignore(session, Project, values, conflict=["repo_id", "issue_number"])
    project = await find_project(session, repo_id=data.repo_id, issue_number=data.issue_number)
    if project is None:  # pragma: no cover - the row was inserted or existed a moment ago
        raise RuntimeError("project row vanished during creation")
    return project, created


async def get_project(session: AsyncSession, project_id: int) -> Project | None:
    return await session.get(Project, project_id)


async def list_projects(session: AsyncSession, *, limit: int = 50) -> list[Project]:
    statement = select(Project).order_by(col(Project.id).desc()).limit(limit)
    return list((await session.exec(statement)).all())
