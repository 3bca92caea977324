"""Step 6, the merge: with merge policy `auto`, a phase whose validator check passed merges
when every check that counts on its head commit has completed successfully
(`bot.workflow.ci`: a repository without CI merges once the grace window after the push is
over), guarded by the head sha. A branch that no longer merges cleanly is updated from the
integration branch first. A person merging by hand counts, under any policy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.github.pulls import merge_pull, update_branch
from bot.plugins.events import PhaseMerged
from bot.status import markdown as md
from bot.status.comment import ensure_status_comment
from bot.workflow.ci import answer_red_build, grace_left, read_ci, show, wait_for_start
from bot.workflow.context import Flow
from bot.workflow.hooks import tell_phase
from bot.workflow.phase import enter, load_phase
from bot.workflow.states import Event, can, transition
from bot.workflow.verdict import PASSING
from storage.db import transaction
from storage.jobs import Job
from storage.projects import save_project
from storage.states import PhaseState
from storage.types import utcnow
from storage.workflow import Phase

WAITING_FOR_CI = "Waiting for CI: {names}."
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


async def record_merge(
    flow: Flow,
    phase: Phase,
    merged_sha: str | None,
    *,
    by: str | None,
    event: Event = Event.MERGED,
    integration_sha: str | None = None,
    **changes: Any,
) -> None:
    """The phase is merged (by the app, or on GitHub: `event`): the integration branch moved,
    to `integration_sha` (by default the merge commit), so the next phase may start."""
    move = transition(phase.state, event, flow.rules)
    merged = {"merged_sha": merged_sha, "merged_by": by, "finished_at": utcnow(), "question": ""}
    async with transaction(flow.deps.sessions) as session:
        # The project first: what the schedule queues next is keyed by the integration head.
        flow.project = await save_project(
            session,
            flow.project,
            integration_sha=integration_sha or merged_sha,
            integration_tree=None,
        )
        phase, _ = await enter(session, flow.project, phase, move, **(merged | changes))
        facts = {"merged_sha": merged_sha, "merged_by": by}
        await tell_phase(session, flow.deps, flow.project, PhaseMerged, phase, **facts)
    await ensure_status_comment(flow.deps, flow.project)


async def _not_mergeable(flow: Flow, phase: Phase, sha: str) -> None:
    assert phase.pr_number is not None
    if not await update_branch(flow.gh, flow.repo, phase.pr_number, expected_head=sha):
        await show(flow, phase, CONFLICT.format(phase=phase.number), Event.CONFLICT)
        return
    # The sync job reads the branch's new head itself: GitHub updates it asynchronously.
    move = transition(phase.state, Event.BEHIND, flow.rules)
    async with transaction(flow.deps.sessions) as session:
        await enter(session, flow.project, phase, move, sha, "update", run_after=SYNC_DELAY)
    await show(flow, phase, UPDATING, Event.BEHIND)


async def run_phase_merge(flow: Flow, job: Job) -> None:
    sha = str(job.args["sha"])
    phase = await load_phase(flow, int(job.args["phase"]))
    if phase is None or not mergeable(phase, sha) or phase.pr_number is None:
        return
    report = await read_ci(flow, phase, sha)
    if report.verdict == "none" and (left := grace_left(flow, phase)):
        await wait_for_start(flow, phase, sha, left)
        return
    if report.verdict == "pending":
        note = WAITING_FOR_CI.format(names=", ".join(report.pending))
        await show(flow, phase, note, Event.CI_PENDING)
        return
    if report.verdict == "failure":
        await answer_red_build(flow, phase, sha, report)
        return
    outcome = await merge_pull(
        flow.gh,
        flow.repo,
        phase.pr_number,
        sha=sha,
        method=flow.options.merge_method,
        title=md.no_pings(f"{phase.pr_title or phase.name} (#{phase.pr_number})"),
    )
    if outcome.merged:
        await record_merge(flow, phase, outcome.sha, by="ai-orchestrator")
    elif outcome.reason == "not_mergeable":
        await _not_mergeable(flow, phase, sha)
    # stale_head: someone pushed; the `synchronize` of that push brings its own review.


async def run_person_merged(flow: Flow, job: Job) -> None:
    phase = await load_phase(flow, int(job.args["phase"]))
    if phase is None or not can(phase.state, Event.MERGED_ON_GITHUB):
        return
    sha, by = str(job.args["sha"]), str(job.args["by"])
    await record_merge(flow, phase, sha, by=by, event=Event.MERGED_ON_GITHUB)
