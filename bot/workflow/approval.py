"""Between the plan and the phases: wait for `/approve` (plan approval `required`, the
default) or go straight on (`auto`)."""

from __future__ import annotations

from bot.options import PlanApproval
from bot.plugins.events import PlanApproved
from bot.status.comment import ensure_status_comment
from bot.workflow.context import Flow
from bot.workflow.hooks import tell
from bot.workflow.schedule import advance
from storage.db import transaction
from storage.projects import ProjectStatus, save_project
from storage.states import ProjectStep
from storage.types import utcnow

AUTO_APPROVER = "auto"
DECIDING = frozenset({ProjectStep.PLAN_FILE, ProjectStep.PLANNED})  # approval not asked yet


async def start_work(flow: Flow, *, approved_by: str) -> None:
    """Records the approval and queues the first phase, in one transaction."""
    step = ProjectStep.LEGACY if flow.legacy else ProjectStep.PHASES
    async with transaction(flow.deps.sessions) as session:
        flow.project = await save_project(
            session,
            flow.project,
            step=step,
            status=ProjectStatus.RUNNING,
            plan_approved_by=approved_by,
            plan_approved_at=utcnow(),
        )
        await advance(session, flow.project)
        plan = flow.project.plan_sha
        await tell(session, flow.deps, flow.project, PlanApproved, plan, approved_by=approved_by)


async def approve_or_wait(flow: Flow) -> None:
    """After the plan: with approval required, ask for it in the status comment; else start.
    A step past the plan was decided by an earlier run of the job, which may have died before
    its status edit: so whatever step it finds, the status comment then shows it (one that
    already does costs no request)."""
    if flow.project.step in DECIDING and flow.project.plan_approved_by is None:
        if flow.options.plan_approval is PlanApproval.REQUIRED:
            await flow.save(
                step=ProjectStep.AWAITING_APPROVAL, status=ProjectStatus.AWAITING_APPROVAL
            )
        else:
            await start_work(flow, approved_by=AUTO_APPROVER)
    await ensure_status_comment(flow.deps, flow.project)
