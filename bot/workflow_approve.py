"""`/approve`: starts the implementation of a plan waiting for approval, or lets a project
paused at its budget's pause point go on up to the budget."""

from __future__ import annotations

from bot.comments import marker, post_once
from bot.status import ensure_status_comment
from bot.workflow_context import Flow
from bot.workflow_start import start_work
from storage.db import transaction
from storage.jobs import Job, enqueue
from storage.ledger import project_spend_nanousd
from storage.projects import ProjectStatus, save_project

PLAN_APPROVED = "Plan approved by @{user}: the implementation starts now."
BUDGET_APPROVED = (
    "@{user} approved going on past the pause point: the work continues up to the budget."
)
NOTHING_TO_APPROVE = "@{user} there is nothing waiting for approval in this project right now."


async def resume(flow: Flow) -> None:
    """Ends a pause: the jobs it interrupted are queued again (under new keys)."""
    project = flow.project
    async with transaction(flow.deps.sessions) as session:
        spent = await project_spend_nanousd(session, project_id=flow.id)
        for job in project.resume_jobs:
            key = f"{job['key']}:resume-{project.resumes + 1}"
            await enqueue(
                session, kind=job["kind"], args=job["args"], project_id=flow.id, dedupe_key=key
            )
        flow.project = await save_project(
            session,
            project,
            paused=False,
            pause_reason=None,
            pause_resumable=False,
            resume_jobs=[],
            resumes=project.resumes + 1,
            budget_approved_nanousd=spent,
            status=ProjectStatus.RUNNING,
        )


async def _reply(flow: Flow, job: Job, text: str) -> None:
    comment_id = job.args["comment_id"]
    await post_once(
        flow.gh,
        owner=flow.repo.owner,
        repo=flow.repo.name,
        number=int(job.args["number"]),
        body=text.format(user=job.args["by"]),
        mark=marker("command", comment_id),
    )


async def run_approve(flow: Flow, job: Job) -> None:
    project = flow.project
    if project.paused and project.pause_resumable:
        await resume(flow)
        reply = BUDGET_APPROVED
    elif project.step == "awaiting_approval":
        await start_work(flow, approved_by=str(job.args["by"]))
        reply = PLAN_APPROVED
    else:
        reply = NOTHING_TO_APPROVE
    await ensure_status_comment(flow.deps, flow.project)
    await _reply(flow, job, reply)
