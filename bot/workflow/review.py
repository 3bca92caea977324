"""Step 4, the review: the validator reviews the phase's head commit; the verdict goes on the
pull request as one `COMMENT` review with inline comments (the app cannot approve its own pull
request) and as the check run `ai-orchestrator/validator` on the head commit.

Then a passing phase waits for CI and merges (or for a person, with merge policy `human`); a
failing one goes back to the developer, and after `max_revisions` to the manager.
"""

from __future__ import annotations

from typing import Any

from agents.schemas import Review
from bot.github.comments import marker
from bot.options import MergePolicy
from bot.status.comment import ensure_status_comment
from bot.status.render import PhaseState
from bot.workflow.context import Flow
from bot.workflow.phase import all_phases, load_phase, save_phase, spec_of
from bot.workflow.repo import added_files, integration_view
from bot.workflow.steps import PHASE_MERGE, PHASE_RECOVER, PHASE_REVISE, queue
from bot.workflow.verdict import (
    PASSING,
    check_annotations,
    create_check_run,
    create_review,
    inline_comments,
    review_text,
)
from storage.db import transaction
from storage.jobs import Job
from storage.projects import ProjectStatus, save_project
from storage.workflow import Phase, update_phase

WAIT_FOR_MERGE = "Waiting for a person to merge the pull request (merge policy: human)."
LEGACY_READY = "Ready for review: merge the pull request when you are happy with it."
MANAGER_DECIDES = "The revision limit was reached: the manager decides what to do."


async def _ask_validator(flow: Flow, phase: Phase) -> Review:
    phases = await all_phases(flow)
    view = dict(flow.project.base_files) if flow.legacy else integration_view(flow.project, phases)
    result = await flow.validator().review(
        flow.id,
        flow.plan(),
        spec_of(phase),
        repo=view,
        changed=phase.files,
        revision=phase.revisions + phase.people_revisions,
    )
    return result.answer


async def _post(flow: Flow, phase: Phase, review: Review, sha: str) -> Phase:
    """The review, then the check run; each written once even when the job runs again."""
    number = phase.pr_number
    assert number is not None
    comments = inline_comments(review, phase.files)
    if phase.began != f"check:{sha}":
        fresh = phase.began != f"review:{sha}"
        if fresh:
            phase = await save_phase(flow, phase, began=f"review:{sha}")
        base = (
            flow.project.base_files
            if flow.legacy
            else integration_view(flow.project, await all_phases(flow))
        )
        review_id = await create_review(
            flow.gh,
            flow.repo,
            number,
            commit_sha=sha,
            body=review_text(review, phase=phase.number, revision=phase.revisions),
            comments=comments,
            marker=marker("review", f"{flow.id}-{phase.number}-{sha}"),
            files=added_files(phase.files, base),
            fresh=fresh,
        )
        phase = await save_phase(flow, phase, review_id=review_id, began=f"check:{sha}")
        fresh_check = True
    else:
        fresh_check = False
    passed = review.verdict in PASSING
    check_id = await create_check_run(
        flow.gh,
        flow.repo,
        head_sha=sha,
        conclusion="success" if passed else "failure",
        title=f"{review.verdict.value}: {review.compliance_score:g}% of the criteria",
        summary=review.summary,
        text=review_text(review, phase=phase.number, revision=0),
        notes=check_annotations(review, comments),
        fresh=fresh_check,
    )
    return await save_phase(flow, phase, check_run_id=check_id)


async def decide(
    flow: Flow, phase: Phase, review: Review, sha: str, *, trigger: str, record: bool = True
) -> bool:
    """Records the review (with `record`) and queues what follows; True when the status
    comment should show it (a state a person should see: not the quick way to a merge)."""
    passed = review.verdict in PASSING
    changes: dict[str, Any] = {"began": None}
    if record:
        changes |= {
            "last_reviewed_sha": sha,
            "verdict": review.verdict.value,
            "reviews": [*phase.reviews, review.model_dump(mode="json")],
        }
    args: dict[str, Any] = {"phase": phase.number, "sha": sha}
    async with transaction(flow.deps.sessions) as session:
        if passed and flow.legacy:
            await update_phase(
                session, phase, state=PhaseState.WAITING_HUMAN, question=LEGACY_READY, **changes
            )
            flow.project = await save_project(
                session,
                flow.project,
                status=ProjectStatus.DONE,
                step="legacy_done",
                final_pr_number=phase.pr_number,
                final_pr_url=phase.pr_url,
            )
            return True
        if passed and flow.options.merge_policy is MergePolicy.HUMAN:
            await update_phase(
                session, phase, state=PhaseState.WAITING_HUMAN, question=WAIT_FOR_MERGE, **changes
            )
            return True
        if passed:
            await update_phase(session, phase, state=PhaseState.WAITING_CI, **changes)
            await queue(session, PHASE_MERGE, flow.id, phase.number, sha, trigger, **args)
            return False
        if phase.revisions < flow.options.max_revisions:
            await update_phase(session, phase, state=PhaseState.REVISING, **changes)
            await queue(session, PHASE_REVISE, flow.id, phase.number, sha, phase.revisions, **args)
            return True
        await update_phase(
            session, phase, state=PhaseState.REVISING, question=MANAGER_DECIDES, **changes
        )
        await queue(session, PHASE_RECOVER, flow.id, phase.number, sha, phase.recoveries, **args)
        return True


async def run_phase_review(flow: Flow, job: Job) -> None:
    sha = str(job.args["sha"])
    phase = await load_phase(flow, int(job.args["phase"]))
    if phase is None or phase.head_sha != sha or phase.last_reviewed_sha == sha:
        return
    if phase.state != PhaseState.IN_REVIEW:
        return
    review = await _ask_validator(flow, phase)
    phase = await _post(flow, phase, review, sha)
    if await decide(flow, phase, review, sha, trigger="review"):
        await ensure_status_comment(flow.deps, await flow.reload())
