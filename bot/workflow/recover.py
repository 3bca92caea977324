"""After `max_revisions` failing reviews the manager decides: retry once more with guidance,
split the phase into smaller ones, skip it, or stop and ask a person (in the status comment).
"""

from __future__ import annotations

from agents.schemas import MicroPhase, PhaseRecovery, RecoveryDecision, Review, Verdict
from bot.github.pulls import close_pull
from bot.status import markdown as md
from bot.status.comment import ensure_status_comment
from bot.workflow.context import Flow
from bot.workflow.phase import enter, load_phase, move_phase, spec_of
from bot.workflow.plan import phase_rows
from bot.workflow.states import RECOVERING, Event, transition
from storage.db import transaction
from storage.jobs import Job
from storage.projects import save_project
from storage.states import PhaseState
from storage.types import utcnow
from storage.workflow import Phase, add_phases, project_phases, update_phase

RETRIES_WITH_GUIDANCE = 1  # then the manager must choose something else
ASK = "The manager asks: {question}"
SKIPPED = "Skipped by the manager: {reason}"
SPLIT = "Split by the manager into phases {numbers}: {reason}"
CLOSING = "The manager decided not to go on with this pull request. {why}"


def ci_review(phase: Phase) -> Review:
    """The phase's CI rounds, shaped as a failing review for the manager's decision."""
    rounds = [str(r.get("line", "")) for r in phase.ci_rounds]
    return Review(
        verdict=Verdict.FAIL,
        summary=phase.question or "CI kept failing on the phase's branch.",
        critical_issues=rounds or ["CI failed and no fix changed anything."],
        warnings=[],
        suggestions=[],
        criteria=[],
        compliance_score=0,
        comments=[],
    )


async def _retry(flow: Flow, phase: Phase, decision: RecoveryDecision, sha: str) -> None:
    recoveries = phase.recoveries + 1
    await move_phase(
        flow,
        phase,
        Event.GUIDED,
        f"guided-{recoveries}",
        sha=sha,
        guidance=decision.guidance or decision.reasoning,
        recoveries=recoveries,
        question="",
    )


async def _close(flow: Flow, phase: Phase, why: str) -> None:
    if phase.pr_number is not None:
        comment, app = CLOSING.format(why=md.model_markdown(why)), await flow.identity()
        await close_pull(flow.gh, flow.repo, phase.pr_number, app=app, comment=comment)


async def _skip(flow: Flow, phase: Phase, reason: str) -> None:
    await _close(flow, phase, SKIPPED.format(reason=reason))
    question = SKIPPED.format(reason=reason)
    await move_phase(flow, phase, Event.GIVE_UP, finished_at=utcnow(), question=question)


def renumbered(parts: list[MicroPhase], original: MicroPhase, first: int) -> list[MicroPhase]:
    """The parts as phases `first`, `first + 1`, …: the first needs what the original needed,
    each later part needs the part before it."""
    out = []
    for index, part in enumerate(parts):
        needs = list(original.dependencies) if index == 0 else [first + index - 1]
        out.append(part.model_copy(update={"id": first + index, "dependencies": needs}))
    return out


async def _split(flow: Flow, phase: Phase, decision: RecoveryDecision) -> None:
    await _close(flow, phase, decision.reasoning)
    async with transaction(flow.deps.sessions) as session:
        phases = await project_phases(session, project_id=flow.id)
        first = max(p.number for p in phases) + 1
        parts = renumbered(decision.split_into, spec_of(phase), first)
        last = parts[-1].id
        for other in phases:  # what needed the original now needs the last part
            if phase.number in other.depends_on:
                needs = [last if d == phase.number else d for d in other.depends_on]
                await update_phase(session, other, depends_on=needs)
        await add_phases(session, phase_rows(flow.id, parts))
        plan = dict(flow.project.plan)
        plan["phases"] = [*plan["phases"], *(p.model_dump(mode="json") for p in parts)]
        flow.project = await save_project(session, flow.project, plan=plan)
        numbers = ", ".join(str(p.id) for p in parts)
        question = SPLIT.format(numbers=numbers, reason=decision.reasoning)
        move = transition(phase.state, Event.SPLIT, flow.rules)
        await enter(session, flow.project, phase, move, finished_at=utcnow(), question=question)


async def run_phase_recover(flow: Flow, job: Job) -> None:
    sha = str(job.args["sha"])
    phase = await load_phase(flow, int(job.args["phase"]))
    if phase is None or phase.state not in RECOVERING or phase.head_sha != sha:
        return
    reviews = [Review.model_validate(r) for r in phase.reviews]
    if phase.state is PhaseState.CI_FIXING:  # the red builds are what kept failing
        reviews.append(ci_review(phase))
    answer = await flow.manager().decide_recovery(flow.id, flow.plan(), spec_of(phase), reviews)
    decision = answer.answer
    choice = decision.decision
    if choice is PhaseRecovery.RETRY_WITH_GUIDANCE and phase.recoveries < RETRIES_WITH_GUIDANCE:
        await _retry(flow, phase, decision, sha)
    elif choice is PhaseRecovery.SPLIT and decision.split_into:
        await _split(flow, phase, decision)
    elif choice is PhaseRecovery.SKIP:
        await _skip(flow, phase, decision.reasoning)
    else:
        question = decision.question or decision.guidance or decision.reasoning
        await move_phase(flow, phase, Event.ASK, question=ASK.format(question=question))
    await ensure_status_comment(flow.deps, await flow.reload())
