"""The job that runs one comment's commands, in order, in the project's line of jobs.

Each accepted command is written to the audit table as it finishes; a job that runs again (its
worker died) finds those rows and does not run those commands twice: it repeats their answers
(commands that change nothing simply answer again). One reply answers the whole comment, found
again by its marker, so a re-run edits it rather than posting a second.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.commands.base import Answer, Context, Spec
from bot.commands.intake import post_reply
from bot.commands.parse import Command
from bot.commands.table import canonical, may_run, refusal, reply_body, spec_for
from bot.deps import Deps
from bot.queue.failures import classify
from bot.queue.worker import describe_error
from bot.status.comment import ensure_status_comment
from bot.workflow.context import Flow, open_flow
from storage.audit import AuditEntry, AuditEntryCreate, Outcome, comment_entries, record_command
from storage.db import transaction
from storage.jobs import Job, Retry, counted_attempts

log = logging.getLogger(__name__)

FAILED = "@{user} `/{name}` failed: {error}"
GAVE_UP = "@{user} `/{name}` did not finish: {why}. Comment it again to retry."


async def execute(ctx: Context, spec: Spec, command: Command, job: Job) -> Answer:
    """The command's answer; a failure for good becomes an answer saying so, a failure the
    job will retry is raised."""
    try:
        return await spec.fn(ctx, command)
    except Exception as exc:
        retry = classify(exc).retry
        if retry is Retry.TRANSIENT or (
            retry is Retry.COUNTED and counted_attempts(job) < job.max_attempts
        ):
            raise  # the job is retried; commands already audited are not run again
        log.exception("command /%s failed for good", command.name)
        error = describe_error(exc)
        return Answer(FAILED.format(user=ctx.login, name=command.name, error=error), Outcome.FAILED)


async def _audit(ctx: Context, command: Command, answer: Answer) -> None:
    entry = AuditEntryCreate(
        project_id=ctx.flow.id,
        repository=ctx.project.full_name,
        actor=ctx.login,
        command=command.name,
        argument=command.argument[:1000],
        location=ctx.where,
        comment_id=ctx.comment_id,
        outcome=answer.outcome,
        result=answer.result,
    )
    async with transaction(ctx.deps.sessions) as session:
        await record_command(session, entry)


async def _answer(
    ctx: Context, spec: Spec, command: Command, job: Job, done: AuditEntry | None
) -> Answer:
    """Runs the command, or for one that ran before this job's re-run, its recorded answer."""
    await ctx.flow.reload()
    if done is not None and not spec.read_only:
        return Answer(done.result, done.outcome)
    answer = await execute(ctx, spec, command, job)
    if done is None:
        await _audit(ctx, command, answer)
    return answer


async def _reply(ctx: Context, commands: list[Command], answers: list[str]) -> None:
    body = reply_body(commands, answers)
    app = await ctx.flow.identity()
    await post_reply(
        ctx.flow.gh, ctx.project, number=ctx.number, comment_id=ctx.comment_id, body=body, app=app
    )


def _context(flow: Flow, args: dict[str, Any]) -> Context:
    return Context(
        flow,
        str(args["login"]),
        int(args["comment_id"]),
        int(args["number"]),
        args["phase"],
        on_pull=bool(args.get("pull", args["phase"] is not None)),
    )


def _commands(args: dict[str, Any]) -> list[Command]:
    given = [Command(**command) for command in args["commands"]]
    return [Command(canonical(c.name), c.argument, c.line) for c in given]


async def _done(ctx: Context) -> list[AuditEntry]:
    """The comment's commands that ran before, in order (a re-run does not run them again)."""
    async with ctx.deps.sessions() as session:
        return await comment_entries(session, project_id=ctx.flow.id, comment_id=ctx.comment_id)


async def command_died(job: Job, deps: Any) -> None:
    """The queue gave up on a comment's commands where the job could not say so (GitHub
    failing past the retry budget, or its worker dying each time): the comment's one reply
    gives what ran, and says of the rest that they were not run and how to ask again."""
    assert isinstance(deps, Deps)
    flow = await open_flow(deps, int(job.args["project_id"]), guard=False)
    if flow is None:
        return
    ctx = _context(flow, job.args)
    commands, done = _commands(job.args), await _done(ctx)
    why = job.last_error or "its worker stopped"
    answers: list[str] = []
    for command in commands:
        spec = spec_for(command)
        if spec is None or not may_run(spec, bool(job.args["allowed"])):
            answers.append(refusal(command, ctx.login))
        elif done:
            answers.append(done.pop(0).result)
        else:
            answers.append(GAVE_UP.format(user=ctx.login, name=command.name, why=why))
    await _reply(ctx, commands, answers)


async def run_command_job(job: Job, deps: Any) -> None:
    assert isinstance(deps, Deps)
    args = job.args
    flow = await open_flow(deps, int(args["project_id"]), guard=False)
    if flow is None:
        return
    ctx = _context(flow, args)
    commands, done = _commands(args), await _done(ctx)
    answers: list[str] = []
    changed = False
    for command in commands:
        spec = spec_for(command)
        if spec is None or not may_run(spec, bool(args["allowed"])):
            answers.append(refusal(command, ctx.login))
            continue
        answer = await _answer(ctx, spec, command, job, done.pop(0) if done else None)
        answers.append(answer.text)
        changed = changed or answer.changed
    if changed:
        await ensure_status_comment(deps, await flow.reload())
    await _reply(ctx, commands, answers)
