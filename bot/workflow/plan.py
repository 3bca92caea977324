"""Step 1, the plan: joint brainstorming (manager, developer, the manager's synthesis), the
architecture, and the micro-phase breakdown the manager validates (up to two rounds of
requested changes). The legacy workflow stops after the architecture with one phase."""

from __future__ import annotations

from dataclasses import dataclass

from agents.inputs import Brief
from agents.schemas import Architecture, Brainstorm, MicroPhase, PlanDecision
from bot.options import Workflow
from bot.workflow.approval import approve_or_wait
from bot.workflow.context import LEGACY, MICRO_PHASE, Flow
from bot.workflow.facts import load_facts, plan_files
from bot.workflow.resume import plan_on_github
from bot.workflow.steps import PLAN_FILE, queue
from storage.db import transaction
from storage.jobs import Job
from storage.projects import save_project
from storage.states import PhaseState, ProjectStep
from storage.workflow import Phase, add_phases

REVIEW_ROUNDS = 2  # rounds of changes the manager may request
STILL_NEEDS_CHANGES = (
    "The manager still asked for changes to the breakdown after {rounds} rounds; "
    "the last breakdown is used: {changes}"
)
OVER_MAX_PHASES = (
    "The breakdown had {count} phases, over max_phases ({limit}); the first {limit} are kept."
)


@dataclass(frozen=True)
class MadePlan:
    architecture: Architecture
    phases: list[MicroPhase]
    features: list[str]
    workflow: str
    notice: str | None = None


def legacy_phase(brief: Brief, features: Brainstorm, architecture: Architecture) -> MicroPhase:
    """The one phase of the legacy workflow: everything the synthesis agreed on."""
    return MicroPhase(
        id=1,
        name=brief.title[:120] or "The whole request",
        description=features.summary,
        phase_type="feature",
        files_to_create=[],
        tests_to_write=[f"tests of {feature.name}" for feature in features.features],
        dependencies=[],
        priority=1,
        acceptance_criteria=[f"{f.name}: {f.description}" for f in features.features],
        implementation_approach=architecture.system_overview,
    )


def keep_within(phases: list[MicroPhase], limit: int) -> tuple[list[MicroPhase], str | None]:
    if len(phases) <= limit:
        return phases, None
    kept = phases[:limit]
    ids = {phase.id for phase in kept}
    trimmed = [
        phase.model_copy(update={"dependencies": [d for d in phase.dependencies if d in ids]})
        for phase in kept
    ]
    return trimmed, OVER_MAX_PHASES.format(count=len(phases), limit=limit)


async def reviewed_breakdown(
    flow: Flow, brief: Brief, architecture: Architecture
) -> tuple[list[MicroPhase], str | None]:
    developer, manager = flow.developer(), flow.manager()
    limit = flow.options.max_phases
    breakdown = await developer.breakdown(flow.id, brief, architecture, max_phases=limit)
    for round in range(1, REVIEW_ROUNDS + 2):
        review = await manager.validate_breakdown(
            flow.id, brief, architecture, breakdown.answer, round=round
        )
        if review.answer.decision is not PlanDecision.NEEDS_REVISION:
            return breakdown.answer.phases, None
        if round > REVIEW_ROUNDS:
            changes = "; ".join(review.answer.requested_changes)
            return breakdown.answer.phases, STILL_NEEDS_CHANGES.format(
                rounds=REVIEW_ROUNDS, changes=changes
            )
        breakdown = await developer.breakdown(
            flow.id,
            brief,
            architecture,
            max_phases=limit,
            requested_changes=review.answer.requested_changes,
            round=round + 1,
        )
    raise AssertionError("unreachable")  # pragma: no cover


async def make_plan(flow: Flow) -> MadePlan:
    brief, manager, developer = flow.brief(), flow.manager(), flow.developer()
    mine = await manager.brainstorm(flow.id, brief)
    theirs = await developer.brainstorm(flow.id, brief)
    agreed = await manager.synthesize(flow.id, brief, mine.answer, theirs.answer)
    features = agreed.answer
    architecture = (await developer.architecture(flow.id, brief, features)).answer
    names = [feature.name for feature in features.features]
    if flow.options.workflow is Workflow.LEGACY:
        phase = legacy_phase(brief, features, architecture)
        return MadePlan(architecture, [phase], names, LEGACY)
    phases, notice = await reviewed_breakdown(flow, brief, architecture)
    phases, over = keep_within(phases, flow.options.max_phases)
    small = flow.options.workflow is Workflow.AUTO and len(phases) == 1
    return MadePlan(architecture, phases, names, LEGACY if small else MICRO_PHASE, notice or over)


def phase_rows(project_id: int, phases: list[MicroPhase]) -> list[Phase]:
    return [
        Phase(
            project_id=project_id,
            number=phase.id,
            name=phase.name[:255],
            depends_on=list(phase.dependencies),
            spec=phase.model_dump(mode="json"),
            state=PhaseState.PLANNED,
        )
        for phase in phases
    ]


async def store_plan(flow: Flow, made: MadePlan, *, plan_sha: str | None = None) -> None:
    plan = {
        "architecture": made.architecture.model_dump(mode="json"),
        "phases": [phase.model_dump(mode="json") for phase in made.phases],
        "features": made.features,
    }
    first_commit = made.workflow == MICRO_PHASE and plan_sha is None
    step = ProjectStep.PLAN_FILE if first_commit else ProjectStep.PLANNED
    files = await plan_files(flow, made.architecture, made.phases)  # now that the plan is known
    async with transaction(flow.deps.sessions) as session:
        await add_phases(session, phase_rows(flow.id, made.phases))
        flow.project = await save_project(
            session,
            flow.project,
            plan=plan,
            base_files=files,
            workflow=made.workflow,
            notice=made.notice,
            step=step,
            plan_sha=plan_sha,
            integration_sha=plan_sha,
        )
        if step is ProjectStep.PLAN_FILE:
            await queue(session, PLAN_FILE, flow.id, phase_count=len(made.phases))


async def run_plan(flow: Flow, job: Job) -> None:
    """Plans the project once; a re-run after the plan is stored only finishes the step."""
    if not flow.project.plan:
        await load_facts(flow)
        found = await plan_on_github(flow) if flow.project.lookup_first else None
        if found is not None:
            made, sha = found
            await store_plan(flow, MadePlan(*made, workflow=MICRO_PHASE), plan_sha=sha)
        else:
            await store_plan(flow, await make_plan(flow))
    if flow.project.step is ProjectStep.PLAN_FILE:
        async with transaction(flow.deps.sessions) as session:
            await queue(session, PLAN_FILE, flow.id, phase_count=len(flow.project.plan["phases"]))
    else:  # planned, or further: an earlier run's step, whose status edit may not have happened
        await approve_or_wait(flow)
