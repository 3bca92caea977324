"""`/approve` and going on after a pause: starts the implementation of a plan waiting for
approval, lets a project paused at its budget's pause point go on up to the budget, and queues
again the jobs a pause held back."""

from __future__ import annotations

from typing import Any

from bot.workflow.approval import start_work
from bot.workflow.context import Flow
from storage.db import transaction
from storage.jobs import NewJob, enqueue
from storage.ledger import project_spend_nanousd
from storage.projects import Project, ProjectStatus, save_project
from storage.states import DONE_STEPS, PLANNING_STEPS, ProjectStep

PLAN_APPROVED = "Plan approved by @{user}: the implementation starts now."
BUDGET_APPROVED = (
    "@{user} approved going on past the pause point: the work continues up to the budget."
)
NOTHING_TO_APPROVE = "@{user} there is nothing waiting for approval in this project right now."


def active_status(project: Project) -> ProjectStatus:
    """The status a project goes back to when a pause or a failure ends."""
    if project.step is ProjectStep.AWAITING_APPROVAL:
        return ProjectStatus.AWAITING_APPROVAL
    if not project.plan or project.step in PLANNING_STEPS:
        return ProjectStatus.PLANNING
    if project.step in DONE_STEPS:
        return ProjectStatus.DONE
    return ProjectStatus.RUNNING


async def resume(flow: Flow, *, approve_budget: bool = True) -> None:
    """Ends a pause: the jobs it held back are queued again (under new keys). With
    `approve_budget` (the budget's pause point) the spend so far counts as approved."""
    project = flow.project
    changes: dict[str, Any] = {
        "paused": False,
        "pause_reason": None,
        "pause_resumable": False,
        "paused_by": None,
        "resume_jobs": [],
        "resumes": project.resumes + 1,
    }
    async with transaction(flow.deps.sessions) as session:
        if approve_budget:
            spent = await project_spend_nanousd(session, project_id=flow.id)
            changes["budget_approved_nanousd"] = spent
        for job in project.resume_jobs:
            key = f"{job['key']}:resume-{project.resumes + 1}"
            await enqueue(
                session,
                NewJob(kind=job["kind"], args=job["args"], project_id=flow.id, dedupe_key=key),
            )
        if project.status is ProjectStatus.PAUSED:
            changes["status"] = active_status(project)
        flow.project = await save_project(session, project, **changes)


async def approve(flow: Flow, *, by: str) -> str:
    """What `/approve` does for the project as a whole; the answer, for `by`."""
    project = flow.project
    if project.paused and project.pause_resumable:
        await resume(flow)
        reply = BUDGET_APPROVED
    elif project.step is ProjectStep.AWAITING_APPROVAL:
        await start_work(flow, approved_by=by)
        reply = PLAN_APPROVED
    else:
        reply = NOTHING_TO_APPROVE
    return reply.format(user=by)
