"""Step 6, the merge: with merge policy `auto`, a phase whose validator check passed merges
when every other check on its head commit has passed (a repository without CI waits for
nothing), guarded by the head sha. A branch that no longer merges cleanly is updated from the
integration branch first. A person merging by hand counts, under any policy."""

from __future__ import annotations

from datetime import timedelta

from bot.github.checks import CIState, ci_state
from bot.github.pulls import merge_pull, update_branch
from bot.status.comment import ensure_status_comment
from bot.status.render import PhaseState
from bot.workflow.context import Flow
from bot.workflow.phase import load_phase, save_phase
from bot.workflow.schedule import advance
from bot.workflow.steps import PHASE_SYNC, queue
from bot.workflow.verdict import PASSING
from storage.db import transaction
from storage.jobs import Job
from storage.projects import save_project
from storage.types import utcnow
from storage.workflow import Phase, update_phase

WAITING_FOR_CI = "Waiting for CI: {names}."
CI_FAILED = "CI failed ({names}): push a fix to the branch, or comment /retry phase-{phase}."
UPDATING = "Updating the branch with the integration branch before merging."
CONFLICT = (
    "The branch conflicts with the integration branch: resolve the conflict on the branch, "
    "or comment /retry phase-{phase}."
)
SYNC_DELAY = timedelta(seconds=5)


def mergeable(phase: Phase, sha: str) -> bool:
    return (
        phase.state == PhaseState.WAITING_CI
        and phase.head_sha == sha
        and phase.last_reviewed_sha == sha
        and phase.verdict in {verdict.value for verdict in PASSING}
    )


async def record_merge(flow: Flow, phase: Phase, merged_sha: str | None, *, by: str) -> None:
    """The phase is merged: the integration branch moved, so the next phase may start."""
    async with transaction(flow.deps.sessions) as session:
        await update_phase(
            session,
            phase,
            state=PhaseState.MERGED,
            merged_sha=merged_sha,
            merged_by=by,
            finished_at=utcnow(),
            question="",
        )
        flow.project = await save_project(
            session, flow.project, integration_sha=merged_sha, integration_tree=None
        )
        await advance(session, flow.project)
    await ensure_status_comment(flow.deps, flow.project)


async def _note(flow: Flow, phase: Phase, note: str, state: PhaseState | None = None) -> None:
    """Shows why the phase waits (one status edit, none when it already says so)."""
    if phase.question == note and (state is None or phase.state == state):
        return
    await save_phase(flow, phase, question=note, state=state or phase.state)
    await ensure_status_comment(flow.deps, flow.project)


async def _not_mergeable(flow: Flow, phase: Phase, sha: str) -> None:
    assert phase.pr_number is not None
    if await update_branch(flow.gh, flow.repo, phase.pr_number, expected_head=sha):
        async with transaction(flow.deps.sessions) as session:
            await queue(
                session,
                PHASE_SYNC,
                flow.id,
                phase.number,
                sha,
                "update",
                run_after=utcnow() + SYNC_DELAY,
                phase=phase.number,
            )
        await _note(flow, phase, UPDATING)
    else:
        await _note(flow, phase, CONFLICT.format(phase=phase.number), PhaseState.WAITING_HUMAN)


async def run_phase_merge(flow: Flow, job: Job) -> None:
    sha = str(job.args["sha"])
    phase = await load_phase(flow, int(job.args["phase"]))
    if phase is None or not mergeable(phase, sha) or phase.pr_number is None:
        return
    ci = await ci_state(flow.gh, flow.repo, sha)
    if ci == CIState.PENDING:
        await _note(flow, phase, WAITING_FOR_CI.format(names=", ".join(ci.pending)))
        return
    if ci == CIState.FAILURE:
        note = CI_FAILED.format(names=", ".join(ci.failing), phase=phase.number)
        await _note(flow, phase, note, PhaseState.WAITING_HUMAN)
        return
    outcome = await merge_pull(
        flow.gh,
        flow.repo,
        phase.pr_number,
        sha=sha,
        method=flow.options.merge_method,
        title=f"{phase.pr_title or phase.name} (#{phase.pr_number})",
    )
    if outcome.merged:
        await record_merge(flow, phase, outcome.sha, by="ai-orchestrator")
    elif outcome.reason == "not_mergeable":
        await _not_mergeable(flow, phase, sha)
    # stale_head: someone pushed; the `synchronize` of that push brings its own review.


async def run_person_merged(flow: Flow, job: Job) -> None:
    phase = await load_phase(flow, int(job.args["phase"]))
    if phase is None or phase.state in (PhaseState.MERGED, PhaseState.SKIPPED):
        return
    await record_merge(flow, phase, str(job.args["sha"]), by=str(job.args["by"]))
