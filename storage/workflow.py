"""The workflow's tables: one row per micro-phase of a project, and people's feedback on them.

A phase row is the workflow's memory of what it already did on GitHub (its branch, head
commit, pull request, review, check run, merge), so a job that runs again looks here first and
asks GitHub only when a step began without recording its result. Feedback rows hold review
comments by people with write permission, waiting for the revision that answers them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, UniqueConstraint, func
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.job_table import Job
from storage.projects import Project
from storage.states import Marker, MarkerType, PhaseState, enum_column
from storage.types import JSONType, UTCDateTime, utcnow
from storage.upsert import insert_ignore, update_row


class Phase(SQLModel, table=True):
    __tablename__ = "phases"
    __table_args__ = (UniqueConstraint("project_id", "number", name="uq_phase_number"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(index=True)
    number: int
    name: str = Field(max_length=255)
    depends_on: list[int] = Field(default_factory=list, sa_type=JSONType)
    spec: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)  # the MicroPhase
    state: PhaseState = Field(
        default=PhaseState.PLANNED, sa_type=enum_column(PhaseState, "phase_state")
    )
    branch: str | None = Field(default=None, max_length=255)
    base_sha: str | None = Field(default=None, max_length=64)  # integration head it started from
    pr_number: int | None = None
    pr_url: str | None = Field(default=None, max_length=512)
    head_sha: str | None = Field(default=None, index=True, max_length=64)
    head_tree: str | None = Field(default=None, max_length=64)
    # path -> content at `head_sha` (what the phase changed): the next prompts' view of it.
    files: dict[str, str] = Field(default_factory=dict, sa_type=JSONType)
    summary: str = ""
    manifest: str = ""  # what the model was given, as Markdown
    commit_message: str = ""
    pr_title: str = ""
    pr_body: str = ""
    last_reviewed_sha: str | None = Field(default=None, max_length=64)
    verdict: str | None = Field(default=None, max_length=32)
    reviews: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    review_id: int | None = Field(default=None, sa_type=BigInteger)
    check_run_id: int | None = Field(default=None, sa_type=BigInteger)
    revisions: int = 0  # answering the validator (capped by `max_revisions`)
    people_revisions: int = 0  # answering people's reviews
    recoveries: int = 0
    ci_fixes: int = 0  # red builds the developer answered (capped by `ci.max_fixes`)
    # Each CI round: {sha, check, conclusion, changed}, for the phase documentation.
    ci_rounds: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    ci_reruns: list[int] = Field(default_factory=list, sa_type=JSONType)  # runs re-run once
    pushed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # of `head_sha`
    attempt: int = 0  # bumped by a retry, so its jobs get new dedupe keys
    began: Marker | None = Field(default=None, sa_type=MarkerType)  # a write not yet recorded
    guidance: str = ""
    question: str = ""
    merged_sha: str | None = Field(default=None, max_length=64)
    merged_by: str | None = Field(default=None, max_length=255)
    error: str | None = None
    # The job that failed the phase ({kind, args, key, state, refused}), for `/retry`.
    failed_job: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Feedback(SQLModel, table=True):
    """A review or review comment by a person with write permission on a phase's PR."""

    __tablename__ = "phase_feedback"
    __table_args__ = (UniqueConstraint("project_id", "source", name="uq_feedback_source"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(index=True)
    phase: int
    source: str = Field(max_length=64)  # "review-<id>" or "comment-<id>": one row per source
    comment_id: int | None = Field(default=None, sa_type=BigInteger)  # to reply in its thread
    author: str = Field(max_length=255)
    body: str = ""
    path: str | None = Field(default=None, max_length=1024)
    line: int | None = None
    handled: bool = False
    reply: str | None = None  # the answer, once a revision handled it
    replied: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def project_phases(session: AsyncSession, *, project_id: int) -> list[Phase]:
    statement = select(Phase).where(Phase.project_id == project_id).order_by(col(Phase.number))
    return list((await session.exec(statement)).all())


async def get_phase(session: AsyncSession, *, project_id: int, number: int) -> Phase | None:
    statement = select(Phase).where(Phase.project_id == project_id, Phase.number == number)
    return (await session.exec(statement)).first()


async def add_phases(session: AsyncSession, phases: Sequence[Phase]) -> None:
    """Inserts the phases that are not there yet (a re-run plan job adds nothing)."""
    for phase in phases:
        values = phase.model_dump(exclude={"id"})
        await insert_ignore(session, Phase, values, conflict=["project_id", "number"])


async def phase_for_pull(
    session: AsyncSession, *, repo_id: int, pr_number: int
) -> tuple[Project, Phase] | None:
    """The project and phase whose pull request is `repo_id`#`pr_number`, if it is one."""
    statement = (
        select(Project, Phase)
        .join(Phase, col(Phase.project_id) == col(Project.id))
        .where(Project.repo_id == repo_id, Phase.pr_number == pr_number)
    )
    row = (await session.exec(statement)).first()
    return None if row is None else (row[0], row[1])


async def phases_at(
    session: AsyncSession, *, repo_id: int, head_sha: str
) -> list[tuple[Project, Phase]]:
    """The phases whose head commit is `head_sha` in the repository (CI reports on it)."""
    statement = (
        select(Project, Phase)
        .join(Phase, col(Phase.project_id) == col(Project.id))
        .where(Project.repo_id == repo_id, Phase.head_sha == head_sha)
    )
    return [(project, phase) for project, phase in (await session.exec(statement)).all()]


async def add_feedback(session: AsyncSession, feedback: Feedback) -> Feedback | None:
    """Stores the feedback unless its source is stored already; the stored row, or None."""
    values = feedback.model_dump(exclude={"id"})
    if not await insert_ignore(session, Feedback, values, conflict=["project_id", "source"]):
        return None
    statement = select(Feedback).where(
        Feedback.project_id == feedback.project_id, Feedback.source == feedback.source
    )
    return (await session.exec(statement)).one()


async def pending_feedback(session: AsyncSession, *, project_id: int, phase: int) -> list[Feedback]:
    statement = (
        select(Feedback)
        .where(
            Feedback.project_id == project_id,
            Feedback.phase == phase,
            col(Feedback.handled).is_(False),
        )
        .order_by(col(Feedback.id))
    )
    return list((await session.exec(statement)).all())


async def jobs_since(
    session: AsyncSession, *, project_id: int, since: datetime, except_kinds: Sequence[str] = ()
) -> int:
    """Jobs of the project created at or after `since`, less those of `except_kinds` (the
    hourly cap counts these)."""
    statement = select(func.count()).where(
        Job.project_id == project_id,
        col(Job.created_at) >= since,
        col(Job.kind).not_in(except_kinds),
    )
    return int((await session.exec(statement)).one())


def hour_ago(now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(hours=1)


async def update_phase(session: AsyncSession, phase: Phase, **changes: Any) -> Phase:
    """Applies `changes` to the stored row (re-read in this transaction) and returns it."""
    stored: Phase = await update_row(session, Phase, phase.id, **changes)
    return stored


async def mark_feedback(session: AsyncSession, ids: Sequence[int], **changes: Any) -> None:
    for feedback_id in ids:
        stored = await session.get(Feedback, feedback_id)
        if stored is not None:
            for name, value in changes.items():
                setattr(stored, name, value)
            session.add(stored)
    await session.flush()


async def unreplied_feedback(
    session: AsyncSession, *, project_id: int, phase: int
) -> list[Feedback]:
    statement = (
        select(Feedback)
        .where(
            Feedback.project_id == project_id,
            Feedback.phase == phase,
            col(Feedback.handled).is_(True),
            col(Feedback.replied).is_(False),
        )
        .order_by(col(Feedback.id))
    )
    return list((await session.exec(statement)).all())
