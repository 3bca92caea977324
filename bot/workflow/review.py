"""Step 4, the review: the validator reviews the phase's head commit; the verdict goes on the
pull request as one `COMMENT` review with inline comments (the app cannot approve its own pull
request) and as the check run `ai-orchestrator/validator` on the head commit.

Then a passing phase waits for CI and merges (or for a person, with merge policy `human`); a
failing one goes back to the developer, and after `max_revisions` to the manager.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from agents.schemas import Review
from bot.github.checks import VALIDATOR_CHECK, upsert_check_run
from bot.github.comments import marker
from bot.github.reviews import post_review
from bot.options import MergePolicy
from bot.plugins.events import PhaseReviewed
from bot.plugins.findings import Finding
from bot.status import markdown as md
from bot.status.comment import ensure_status_comment
from bot.workflow.context import Flow
from bot.workflow.findings import (
    errors,
    finding_annotations,
    finding_comments,
    joined,
    review_findings,
)
from bot.workflow.hooks import tell_done, tell_phase
from bot.workflow.phase import all_phases, enter, load_phase, save_phase, spec_of
from bot.workflow.repo import added_files, integration_view
from bot.workflow.states import Event, review_event, transition
from bot.workflow.verdict import PASSING, check_annotations, inline_comments, review_text
from storage.db import transaction
from storage.jobs import Job
from storage.projects import ProjectStatus, save_project
from storage.states import Marker, MarkerKind, PhaseState, ProjectStep
from storage.workflow import Phase

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


async def _post(
    flow: Flow, phase: Phase, review: Review, sha: str, findings: Sequence[Finding] = ()
) -> Phase:
    """The review, then the check run, the review checks' findings in both; each written once
    even when the job runs again."""
    number = phase.pr_number
    assert number is not None
    validator = inline_comments(review, phase.files)
    comments = validator + finding_comments(findings, phase.files)
    if phase.began != Marker(MarkerKind.CHECK, sha):
        fresh = phase.began != Marker(MarkerKind.REVIEW, sha)
        if fresh:
            phase = await save_phase(flow, phase, began=Marker(MarkerKind.REVIEW, sha))
        base = (
            flow.project.base_files
            if flow.legacy
            else integration_view(flow.project, await all_phases(flow))
        )
        review_id = await post_review(
            flow.gh,
            flow.repo,
            number,
            commit_sha=sha,
            body=review_text(review, phase=phase.number, revision=phase.revisions),
            comments=comments,
            marker=marker("review", f"{flow.id}-{phase.number}-{sha}"),
            app=await flow.identity(),
            files=added_files(phase.files, base),
            find_existing=not fresh,
        )
        phase = await save_phase(
            flow, phase, review_id=review_id, began=Marker(MarkerKind.CHECK, sha)
        )
        fresh_check = True
    else:
        fresh_check = False
    passed = review.verdict in PASSING
    check_id = await upsert_check_run(
        flow.gh,
        flow.repo,
        name=VALIDATOR_CHECK,
        head_sha=sha,
        conclusion="success" if passed else "failure",
        title=f"{review.verdict.value}: {review.compliance_score:g}% of the criteria",
        summary=md.model_markdown(review.summary),
        text=review_text(review, phase=phase.number, revision=0),
        annotations=[
            *check_annotations(review, validator),
            *finding_annotations(findings, phase.files),
        ],
        find_existing=not fresh_check,
    )
    return await save_phase(flow, phase, check_run_id=check_id)


def _outcome(
    flow: Flow, phase: Phase, event: Event, trigger: str
) -> tuple[tuple[object, ...], dict[str, Any]]:
    """The tags of the job the move queues, and the question the phase shows, if any."""
    if event is Event.PASSED and flow.legacy:
        return (), {"question": LEGACY_READY}
    if event is Event.PASSED and flow.options.merge_policy is MergePolicy.HUMAN:
        return (), {"question": WAIT_FOR_MERGE}
    if event is Event.PASSED:
        return (trigger,), {}
    if event is Event.FAILED:
        return (phase.revisions,), {}
    return (phase.recoveries,), {"question": MANAGER_DECIDES}


async def decide(
    flow: Flow,
    phase: Phase,
    review: Review,
    sha: str,
    *,
    trigger: str,
    record: bool = True,
    findings: Sequence[Finding] = (),
) -> bool:
    """Records the review (with `record`, telling the plugins) and makes the move its verdict
    means; True when the status comment should show it (a state a person should see: not the
    quick way to a merge)."""
    event = review_event(review.verdict in PASSING, phase.revisions, flow.options.max_revisions)
    move = transition(phase.state, event, flow.rules)
    tags, question = _outcome(flow, phase, event, trigger)
    changes: dict[str, Any] = {"began": None, **question}
    if record:
        changes |= {
            "last_reviewed_sha": sha,
            "verdict": review.verdict.value,
            "reviews": [*phase.reviews, review.model_dump(mode="json")],
        }
    async with transaction(flow.deps.sessions) as session:
        phase, _ = await enter(session, flow.project, phase, move, *tags, sha=sha, **changes)
        if record:
            await _tell_reviewed(session, flow, phase, review, sha, findings)
        if event is Event.PASSED and flow.legacy:
            flow.project = await save_project(
                session,
                flow.project,
                status=ProjectStatus.DONE,
                step=ProjectStep.LEGACY_DONE,
                final_pr_number=phase.pr_number,
                final_pr_url=phase.pr_url,
            )
            await tell_done(session, flow.deps, flow.project)
    return move.state is not PhaseState.WAITING_CI


async def _tell_reviewed(
    session: AsyncSession,
    flow: Flow,
    phase: Phase,
    review: Review,
    sha: str,
    findings: Sequence[Finding],
) -> None:
    await tell_phase(
        session,
        flow.deps,
        flow.project,
        PhaseReviewed,
        phase,
        sha,
        head_sha=sha,
        verdict=review.verdict.value,
        passed=review.verdict in PASSING,
        compliance_score=review.compliance_score,
        findings=len(findings),
        errors=len(errors(findings)),
    )


async def run_phase_review(flow: Flow, job: Job) -> None:
    sha = str(job.args["sha"])
    phase = await load_phase(flow, int(job.args["phase"]))
    if phase is None or phase.head_sha != sha or phase.last_reviewed_sha == sha:
        return
    if phase.state != PhaseState.IN_REVIEW:
        return
    validator = await _ask_validator(flow, phase)  # first: a budget stop runs no check
    findings = await review_findings(flow, phase, sha)
    review = joined(validator, findings)
    phase = await _post(flow, phase, review, sha, findings)
    if await decide(flow, phase, review, sha, trigger="review", findings=findings):
        await ensure_status_comment(flow.deps, await flow.reload())
