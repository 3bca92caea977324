"""The commands that steer the whole project: `/approve`, `/pause`, `/resume` and `/abort`.

`/pause` and `/abort` also act the moment their comment is accepted (`pause_now`, `abort_now`,
in the delivery's transaction), before the project's next job can start: a paused project's
jobs are parked when they start, and the job in flight on an aborted project stops at its next
model call or GitHub write (`bot.workflow.abort`). Their command job then answers (and `/abort`
closes the open pull requests).
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.commands.base import Answer, Context, aborted, refused
from bot.commands.parse import Command
from bot.github.pulls import close_pull, merge_pull
from bot.options import MergePolicy
from bot.plugins.events import ProjectAborted
from bot.status import markdown as md
from bot.workflow.approve import NOTHING_TO_APPROVE, approve, resume
from bot.workflow.hooks import tell
from bot.workflow.merge import record_merge
from bot.workflow.phase import load_phase
from bot.workflow.verdict import PASSING
from storage.db import transaction
from storage.projects import Project, ProjectStatus, save_project
from storage.states import PhaseState, ProjectStep
from storage.workflow import Phase, project_phases

PAUSED_BY = "Paused by @{user}: no new job starts until someone comments /resume."
PAUSED = (
    "@{user} paused the project: the job running now finishes, and no new one starts until /resume."
)
ALREADY_PAUSED = "@{user} the project is paused already: {reason}"
CANNOT_PAUSE = "@{user} the project is {status}: there is nothing to pause."
RESUMED = "@{user} resumed the project: the work goes on where it stopped."
NOT_PAUSED = "@{user} the project is not paused."
BUDGET_POINT = (
    "@{user} the project is paused at its budget's pause point: comment /approve to go on."
)
STOPPED = "@{user} the project is stopped, not paused: {reason}"
ABORTED_BY = "Aborted by @{user} with /abort."
ABORT_DONE = "@{user} aborted the project: no further model call or commit is made. {closed}"
CLOSED_PULLS = "Closed {pulls}; branches, commits and the plan file are kept."
NO_PULLS = "No pull request was open; branches, commits and the plan file are kept."
CLOSING = "Closed: @{user} aborted this project with /abort. The branch and its commits are kept."
MERGED = "@{user} approved phase {phase}: #{pull} is merged."
NOT_PASSED = (
    "@{user} phase {phase} has not passed the validator's review at its head ({state}); "
    "merge #{pull} yourself to take it anyway."
)
ALREADY_MERGED = "@{user} phase {phase} is merged already."
STALE_HEAD = "@{user} #{pull} has new commits: they are reviewed before it can be merged."
CANNOT_MERGE = "@{user} GitHub did not merge #{pull}: {why}"
UNPAUSABLE = frozenset({ProjectStatus.DONE, ProjectStatus.FAILED, ProjectStatus.ABORTED})


# ---- at once, when the comment is accepted --------------------------------------------------


async def pause_now(session: AsyncSession, project: Project, login: str) -> None:
    if project.status in UNPAUSABLE or project.paused:
        return
    reason = PAUSED_BY.format(user=login)
    await save_project(
        session,
        project,
        paused=True,
        paused_by=login,
        pause_reason=reason,
        status=ProjectStatus.PAUSED,
    )


async def abort_now(session: AsyncSession, project: Project, login: str) -> None:
    if project.status is ProjectStatus.ABORTED:
        return
    await save_project(
        session,
        project,
        status=ProjectStatus.ABORTED,
        step=ProjectStep.ABORTED,
        notice=ABORTED_BY.format(user=login),
    )


# ---- the commands ---------------------------------------------------------------------------


async def pause(ctx: Context, command: Command) -> Answer:
    project = ctx.project
    if project.status in UNPAUSABLE:
        return refused(CANNOT_PAUSE.format(user=ctx.login, status=project.status.value))
    if project.paused and project.paused_by != ctx.login:
        reason = project.pause_reason or "paused"
        return refused(ALREADY_PAUSED.format(user=ctx.login, reason=reason))
    async with transaction(ctx.deps.sessions) as session:
        await pause_now(session, project, ctx.login)  # done already when the comment came
    return Answer(PAUSED.format(user=ctx.login), changed=True)


async def resume_project(ctx: Context, command: Command) -> Answer:
    if (refusal := aborted(ctx)) is not None:
        return refusal
    project = ctx.project
    if not project.paused:
        return refused(NOT_PAUSED.format(user=ctx.login))
    if project.paused_by is None and project.pause_resumable:
        return refused(BUDGET_POINT.format(user=ctx.login))
    if project.paused_by is None:
        return refused(STOPPED.format(user=ctx.login, reason=project.pause_reason or ""))
    await resume(ctx.flow, approve_budget=False)
    return Answer(RESUMED.format(user=ctx.login), changed=True)


async def _close_pulls(ctx: Context) -> list[int]:
    """Closes the project's open pull requests (phases not merged, and the final one)."""
    async with ctx.deps.sessions() as session:
        phases = await project_phases(session, project_id=ctx.flow.id)
    numbers = {p.pr_number for p in phases if p.pr_number and p.state != PhaseState.MERGED}
    if ctx.project.final_pr_number:
        numbers.add(ctx.project.final_pr_number)
    closing = CLOSING.format(user=ctx.login)
    flow, app = ctx.flow, await ctx.flow.identity()
    return [
        n
        for n in sorted(numbers)
        if await close_pull(flow.gh, flow.repo, n, app=app, comment=closing)
    ]


async def abort(ctx: Context, command: Command) -> Answer:
    async with transaction(ctx.deps.sessions) as session:
        await abort_now(session, ctx.project, ctx.login)  # done already when the comment came
        # Keyed by the project alone: a second `/abort` tells no one again.
        await tell(session, ctx.deps, ctx.project, ProjectAborted, aborted_by=ctx.login)
    closed = await _close_pulls(ctx)
    pulls = ", ".join(f"#{number}" for number in closed)
    text = CLOSED_PULLS.format(pulls=pulls) if closed else NO_PULLS
    return Answer(ABORT_DONE.format(user=ctx.login, closed=text), changed=True)


def _merge_by_person(ctx: Context) -> bool:
    """A phase's pull request that waits for a person to merge it: `/approve` merges it."""
    return ctx.phase is not None and (
        ctx.flow.options.merge_policy is MergePolicy.HUMAN or ctx.flow.legacy
    )


async def _merge(ctx: Context, phase: Phase) -> Answer:
    user, number, pull = ctx.login, phase.number, phase.pr_number
    if phase.state == PhaseState.MERGED:
        return refused(ALREADY_MERGED.format(user=user, phase=number))
    passed = phase.verdict in {v.value for v in PASSING}
    if pull is None or phase.head_sha is None or phase.last_reviewed_sha != phase.head_sha:
        passed = False
    if not passed or phase.state != PhaseState.WAITING_HUMAN:
        state = str(phase.state).replace("_", " ")
        return refused(NOT_PASSED.format(user=user, phase=number, state=state, pull=pull))
    assert pull is not None and phase.head_sha is not None
    flow = ctx.flow
    outcome = await merge_pull(
        flow.gh,
        flow.repo,
        pull,
        sha=phase.head_sha,
        method=flow.options.merge_method,
        title=md.no_pings(f"{phase.pr_title or phase.name} (#{pull})"),
    )
    if outcome.merged:
        await record_merge(flow, phase, outcome.sha, by=user)
        return Answer(MERGED.format(user=user, phase=number, pull=pull), changed=True)
    if outcome.reason == "stale_head":
        return refused(STALE_HEAD.format(user=user, pull=pull))
    return refused(CANNOT_MERGE.format(user=user, pull=pull, why=outcome.message or "refused"))


async def approve_command(ctx: Context, command: Command) -> Answer:
    """The plan, the budget's pause point, or in a phase's pull request under merge policy
    `human`, that pull request (merged now, in the person's name)."""
    if (refusal := aborted(ctx)) is not None:
        return refusal
    if _merge_by_person(ctx):
        assert ctx.phase is not None
        phase = await load_phase(ctx.flow, ctx.phase)
        if phase is not None:
            return await _merge(ctx, phase)
    text = await approve(ctx.flow, by=ctx.login)
    if text == NOTHING_TO_APPROVE.format(user=ctx.login):
        return refused(text)
    return Answer(text, changed=True)
