"""The job of an action taken on the dashboard or through the REST API (`bot.actions`).

It runs the slash command's own code, as a comment's command job would, with no comment to
answer: the answer goes to the audit row (location `dashboard` or `api`), and the status
comment is edited when the project changed. Write permission was asked of GitHub when the
action was queued (`bot.web.access.perform`). A job run again after its worker died finds its
audit row and does not act twice.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.actions import ActionRequest
from bot.commands.base import Answer, Context
from bot.commands.job import execute
from bot.commands.parse import Command
from bot.commands.table import spec_for
from bot.deps import Deps
from bot.status.comment import ensure_status_comment
from bot.workflow.context import open_flow
from storage.audit import AuditEntryCreate, Outcome, job_entry, record_command
from storage.db import transaction
from storage.jobs import Job

log = logging.getLogger(__name__)


def _command(request: ActionRequest) -> Command:
    line = f"/{request.action.value} {request.argument}".strip()
    return Command(request.action.value, request.argument, line)


async def _audit(ctx: Context, command: Command, answer: Answer, job_id: int) -> None:
    entry = AuditEntryCreate(
        project_id=ctx.flow.id,
        repository=ctx.project.full_name,
        actor=ctx.login,
        command=command.name,
        argument=command.argument,
        location=ctx.where,
        job_id=job_id,
        outcome=answer.outcome,
        result=answer.result,
    )
    async with transaction(ctx.deps.sessions) as session:
        await record_command(session, entry)


async def _context(job: Job, deps: Deps, request: ActionRequest) -> Context | None:
    """None when the action ran before (its audit row is there) or the project is gone."""
    assert job.id is not None
    async with deps.sessions() as session:
        if await job_entry(session, job_id=job.id) is not None:
            return None  # it ran before this job's worker died
    flow = await open_flow(deps, request.project_id, guard=False)
    if flow is None:
        return None
    return Context(
        flow,
        request.login,
        comment_id=0,
        number=flow.project.issue_number,
        phase=None,
        location=request.location.value,
        job_id=job.id,
    )


async def action_died(job: Job, deps: Any) -> None:
    """The queue gave up on the action where its job could not say so (GitHub failing past the
    retry budget, or its worker dying each time): the audit row, which the page and the API
    show, says it was not carried out, and why."""
    assert isinstance(deps, Deps) and job.id is not None
    request = ActionRequest.model_validate(job.args)
    ctx = await _context(job, deps, request)
    if ctx is None:
        return
    why = job.last_error or "its worker stopped"
    answer = Answer(f"`{_command(request).line}` was not carried out: {why}", Outcome.FAILED)
    await _audit(ctx, _command(request), answer, job.id)


async def run_action_job(job: Job, deps: Any) -> None:
    assert isinstance(deps, Deps) and job.id is not None
    request = ActionRequest.model_validate(job.args)
    ctx = await _context(job, deps, request)
    if ctx is None:
        return
    command = _command(request)
    spec = spec_for(command)
    assert spec is not None  # bot.actions names only commands of the table
    answer = await execute(ctx, spec, command, job)
    await _audit(ctx, command, answer, job.id)
    log.info("%s by %s from the %s: %s", command.line, ctx.login, ctx.where, answer.outcome)
    if answer.changed:
        await ensure_status_comment(deps, await ctx.flow.reload())
