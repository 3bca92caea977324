"""A straight run of a project through the five agents (no GitHub): plan, every phase's
files, review and PR text in order, then the integration summary. The cache tests and the
benchmark use it; the real workflow (with GitHub, revisions and approvals) is
`bot/workflow/runner.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.developer import Developer
from agents.git import Git
from agents.inputs import Brief, PhaseNote, Plan
from agents.integration import Integration
from agents.manager import Manager
from agents.runtime import AgentRuntime
from agents.validator import Validator

BRIEF = Brief(
    title="Back office for orders", body="Build the order back office: orders, invoices, payments."
)


@dataclass
class ProjectRun:
    plan: Plan
    repo: dict[str, str] = field(default_factory=dict)
    notes: list[PhaseNote] = field(default_factory=list)
    cache_hits: int = 0
    calls: int = 0

    def count(self, hit: bool) -> None:
        self.cache_hits += hit
        self.calls += 1


async def run_plan(rt: AgentRuntime, project_id: int, brief: Brief = BRIEF) -> ProjectRun:
    manager, developer = Manager(rt), Developer(rt)
    views = [
        await manager.brainstorm(project_id, brief),
        await developer.brainstorm(project_id, brief),
    ]
    features = await manager.synthesize(project_id, brief, views[0].answer, views[1].answer)
    architecture = await developer.architecture(project_id, brief, features.answer)
    breakdown = await developer.breakdown(project_id, brief, architecture.answer, max_phases=30)
    review = await manager.validate_breakdown(
        project_id, brief, architecture.answer, breakdown.answer
    )
    plan = Plan(architecture=architecture.answer, phases=breakdown.answer.phases)
    run = ProjectRun(plan=plan)
    hits = [view.cache_hit for view in views]
    hits += [features.cache_hit, architecture.cache_hit, breakdown.cache_hit, review.cache_hit]
    for hit in hits:
        run.count(hit)
    return run


async def run_phases(
    rt: AgentRuntime, project_id: int, run: ProjectRun, issue_number: int = 1
) -> None:
    developer, validator, git = Developer(rt), Validator(rt), Git(rt)
    for phase in run.plan.phases:
        files = await developer.phase_files(
            project_id, run.plan, phase, notes=run.notes, repo=run.repo
        )
        changed = {f.path: f.content for f in files.answer.files}
        review = await validator.review(project_id, run.plan, phase, repo=run.repo, changed=changed)
        text = await git.pr_text(
            project_id,
            phase,
            issue_number=issue_number,
            summary=files.answer.summary,
            paths=list(changed),
        )
        for hit in (files.cache_hit, review.cache_hit, text.cache_hit):
            run.count(hit)
        run.repo.update(changed)
        run.notes.append(
            PhaseNote(
                id=phase.id, name=phase.name, summary=files.answer.summary, files=sorted(changed)
            )
        )
    summary = await Integration(rt).summarize(
        project_id, run.plan, issue_number=issue_number, notes=run.notes, repo=run.repo
    )
    run.count(summary.cache_hit)


async def run_project(rt: AgentRuntime, project_id: int, brief: Brief = BRIEF) -> ProjectRun:
    run = await run_plan(rt, project_id, brief)
    await run_phases(rt, project_id, run)
    return run
