"""Projects: one per issue that someone with write access labelled with the trigger label."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, UniqueConstraint
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.states import Marker, MarkerType, ProjectStep, enum_column
from storage.types import JSONType, UTCDateTime, utcnow
from storage.upsert import insert_ignore, update_row


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
    # The workflow's state (bot/workflow/runner.py): its current step and what it decided.
    step: ProjectStep = Field(
        default=ProjectStep.PLANNING, sa_type=enum_column(ProjectStep, "project_step")
    )
    workflow: str | None = Field(default=None, max_length=32)  # micro_phase or legacy
    options: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)  # as read at start
    options_problem: str | None = None
    template: str | None = Field(default=None, max_length=64)
    default_branch: str | None = Field(default=None, max_length=255)
    base_sha: str | None = Field(default=None, max_length=64)
    # The files of the default branch when planning began (path -> text), for the prompts.
    base_files: dict[str, str] = Field(default_factory=dict, sa_type=JSONType)
    # The repository's instructions for agents (AGENTS.md and fallbacks, path -> text), read
    # from the default branch when planning began: a phase branch never changes its rules.
    instructions: dict[str, str] = Field(default_factory=dict, sa_type=JSONType)
    # Where the app's templated CI workflow went (None: the repository had CI, or none made).
    ci_workflow: str | None = Field(default=None, max_length=255)
    integration_branch: str | None = Field(default=None, max_length=255)
    integration_sha: str | None = Field(default=None, max_length=64)
    integration_tree: str | None = Field(default=None, max_length=64)
    plan: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    plan_sha: str | None = Field(default=None, max_length=64)
    plan_approved_by: str | None = Field(default=None, max_length=255)
    plan_approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    final_pr_number: int | None = None
    final_pr_url: str | None = Field(default=None, max_length=512)
    budget_nanousd: int = Field(default=0, sa_type=BigInteger)
    # Spend at which a person said /approve past the pause threshold (None: not yet).
    budget_approved_nanousd: int | None = Field(default=None, sa_type=BigInteger)
    paused: bool = False
    pause_reason: str | None = None
    pause_resumable: bool = False  # True: `/approve` continues (the budget's pause point)
    paused_by: str | None = Field(default=None, max_length=255)  # a person's `/pause`
    # The jobs a pause interrupted ({kind, args, key}), queued again when it ends.
    resume_jobs: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    resumes: int = 0
    notice: str | None = None  # a cap hit or a problem, shown in the status comment
    error: str | None = None
    # The planning or integration job that failed ({kind, args, key, status, step}), for /retry.
    failed_job: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    # Work found on GitHub under way for the issue: look before creating anything.
    lookup_first: bool = False
    began: Marker | None = Field(default=None, sa_type=MarkerType)  # a write not yet recorded
    status_digest: str | None = Field(default=None, max_length=64)  # of the last comment body
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"


async def save_project(session: AsyncSession, project: Project, **changes: Any) -> Project:
    """Applies `changes` to the stored row (re-read in this transaction) and returns it.

    An aborted project stays aborted: a job that was in flight when `/abort` came cannot set
    its status or step back (the row is re-read under a lock before the change)."""
    if "status" in changes or "step" in changes:
        current = await session.get(
            Project, project.id, with_for_update=True, populate_existing=True
        )
        if current is not None and current.status is ProjectStatus.ABORTED:
            changes = {k: v for k, v in changes.items() if k not in ("status", "step")}
    stored: Project = await update_row(session, Project, project.id, **changes)
    return stored


async def find_project(session: AsyncSession, *, repo_id: int, issue_number: int) -> Project | None:
    statement = select(Project).where(
        Project.repo_id == repo_id, Project.issue_number == issue_number
    )
    return (await session.exec(statement)).first()


async def project_for_final_pull(
    session: AsyncSession, *, repo_id: int, pr_number: int
) -> Project | None:
    """The project whose final (integration) pull request is `repo_id`#`pr_number`, if any."""
    statement = select(Project).where(
        Project.repo_id == repo_id, Project.final_pr_number == pr_number
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
