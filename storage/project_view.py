"""The project page's read model: phases with their spend, the dependency graph, the plan,
phase docs, audit rows and the project's jobs (`storage.reports` describes the read models)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.audit import audit_entries
from storage.job_table import Job, JobStatus
from storage.ledger import LLMCall
from storage.listing import ProjectRow, listing, project_filters, project_rows
from storage.phase_docs import PhaseDocPublic, project_docs
from storage.projects import Project
from storage.query import rows, total
from storage.states import PhaseState
from storage.workflow import Phase, project_phases

AUDIT_ROWS = 50  # the newest audit rows a project page shows
# The jobs a project page lists: what is waiting, what runs, and what died (with its error).
SHOWN_JOBS = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DEAD)
JOB_ROWS = 100


class Dependency(BaseModel):
    """An edge of the phase graph: `phase` needs `needs` merged first."""

    phase: int
    needs: int


class PhaseRow(BaseModel):
    number: int
    name: str
    state: PhaseState
    depends_on: list[int]
    pr_number: int | None
    pr_url: str | None
    revisions: int  # answering the validator
    people_revisions: int  # answering people's reviews
    ci_rounds: int  # CI results the phase went through (red ones answered by `ci_fixes`)
    ci_fixes: int
    verdict: str | None
    error: str | None
    spend_nanousd: int
    started_at: datetime | None
    finished_at: datetime | None


class JobRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    status: JobStatus
    attempts: int
    max_attempts: int
    last_error: str | None
    run_after: datetime
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class AuditRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    actor: str
    command: str
    argument: str
    location: str
    outcome: str
    result: str


class ProjectDetail(BaseModel):
    """Everything the project page shows. `plan` is the stored plan (architecture, phases,
    features); `bot.files.plan_text.project_plan_text` renders it as the committed YAML."""

    project: ProjectRow
    started_by: str
    workflow: str | None
    template: str | None
    default_branch: str | None
    integration_branch: str | None
    final_pr_number: int | None
    final_pr_url: str | None
    paused: bool
    pause_reason: str | None
    notice: str | None
    error: str | None
    plan: dict[str, Any]
    plan_sha: str | None
    phases: list[PhaseRow]
    dependencies: list[Dependency]
    docs: list[PhaseDocPublic]
    audit: list[AuditRow]  # newest first
    jobs: list[JobRow]  # queued, running and dead, newest first


async def _phase_spend(session: AsyncSession, project_id: int) -> dict[int, int]:
    statement = (
        sa_select(col(LLMCall.phase), total(LLMCall.cost_nanousd))
        .where(col(LLMCall.project_id) == project_id, col(LLMCall.phase).is_not(None))
        .group_by(col(LLMCall.phase))
    )
    return {int(phase): int(spent) for phase, spent in await rows(session, statement)}


def _phase_row(phase: Phase, spend: dict[int, int]) -> PhaseRow:
    return PhaseRow(
        number=phase.number,
        name=phase.name,
        state=phase.state,
        depends_on=list(phase.depends_on),
        pr_number=phase.pr_number,
        pr_url=phase.pr_url,
        revisions=phase.revisions,
        people_revisions=phase.people_revisions,
        ci_rounds=len(phase.ci_rounds),
        ci_fixes=phase.ci_fixes,
        verdict=phase.verdict,
        error=phase.error,
        spend_nanousd=spend.get(phase.number, 0),
        started_at=phase.started_at,
        finished_at=phase.finished_at,
    )


def _dependencies(phases: Sequence[PhaseRow]) -> list[Dependency]:
    """The graph's edges; a dependency on a phase the plan lacks is dropped, not drawn."""
    numbers = {phase.number for phase in phases}
    return [
        Dependency(phase=phase.number, needs=needed)
        for phase in phases
        for needed in sorted(set(phase.depends_on))
        if needed in numbers
    ]


async def _jobs(session: AsyncSession, project_id: int) -> list[JobRow]:
    statement = (
        select(Job)
        .where(col(Job.project_id) == project_id, col(Job.status).in_(SHOWN_JOBS))
        .order_by(col(Job.id).desc())
        .limit(JOB_ROWS)
    )
    return [JobRow.model_validate(job) for job in await session.exec(statement)]


async def project_detail(
    session: AsyncSession, project_id: int, *, repo_ids: Collection[int] | None = None
) -> ProjectDetail | None:
    """The project page's model; None when there is no such project or `repo_ids` does not
    include its repository (the caller answers 404 either way)."""
    clauses = [col(Project.id) == project_id, *project_filters(repo_ids, None, None)]
    found = await project_rows(session, listing(clauses))
    if not found:
        return None
    project = await session.get(Project, project_id)
    assert project is not None
    spend = await _phase_spend(session, project_id)
    phases = [_phase_row(p, spend) for p in await project_phases(session, project_id=project_id)]
    docs = await project_docs(session, project_id=project_id)
    audit = await audit_entries(session, project_id=project_id, limit=AUDIT_ROWS)
    return ProjectDetail(
        project=found[0],
        **project.model_dump(include=_PROJECT_FIELDS),
        phases=phases,
        dependencies=_dependencies(phases),
        docs=[PhaseDocPublic.model_validate(doc) for doc in docs],
        audit=[AuditRow.model_validate(entry) for entry in audit],
        jobs=await _jobs(session, project_id),
    )


_PROJECT_FIELDS = {
    "started_by",
    "workflow",
    "template",
    "default_branch",
    "integration_branch",
    "final_pr_number",
    "final_pr_url",
    "paused",
    "pause_reason",
    "notice",
    "error",
    "plan",
    "plan_sha",
}
