"""The status comment's snapshot (`StatusView`) built from the project, its phases and the
ledger: what `bot.status.render` turns into Markdown."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.files.ci_workflow import not_running_notice
from bot.files.plan_file import plan_path
from bot.status.model import CostView, PhaseView, StatusView, Totals
from storage.costs import CostReport, cost_report
from storage.jobs import waiting_on_github
from storage.projects import Project, ProjectStatus
from storage.states import FINISHED, PhaseState, ProjectStep
from storage.workflow import Phase, project_phases

# Model calls a phase makes on the happy path (files, PR text, review), for the estimate.
CALLS_PER_PHASE = 3
STOPPED_BUDGET = "stopped_budget"
# Shown while a job of the project is in a run of GitHub's transient failures (the queue
# retries it for JOB_TRANSIENT_BUDGET_SECONDS); gone with the next edit once GitHub answers.
GITHUB_WAITING = (
    "GitHub is answering with errors; retrying. The work goes on by itself when GitHub "
    "answers again."
)

S = ProjectStep
STEP_TEXT: dict[ProjectStep, str] = {
    S.PLANNING: "Planning… The manager and developer agents are brainstorming this issue. "
    "This comment is edited in place as the work goes on.",
    S.PLAN_FILE: "Writing the plan file…",
    S.PLANNED: "The plan is ready.",
    S.AWAITING_APPROVAL: "The plan is ready. Comment /approve to start the implementation.",
    S.PHASES: "Implementing the plan, one phase at a time.",
    S.INTEGRATING: "All phases are in: the integration agent is writing the release notes.",
    S.DONE: "Done: the final pull request is ready for review.",
    S.LEGACY: "Writing all the files in one pull request (legacy workflow).",
    S.LEGACY_DONE: "Done: the pull request is ready for review.",
    S.FAILED: "Stopped by an error.",
    S.ABORTED: "Aborted: no further work is done. Its pull requests were closed; branches, "
    "commits and the plan file are kept.",
}


def phase_view(phase: Phase) -> PhaseView:
    criteria = phase.spec.get("acceptance_criteria") or []
    return PhaseView(
        number=phase.number,
        name=phase.name,
        state=PhaseState(phase.state),
        depends_on=tuple(phase.depends_on),
        acceptance_criteria=tuple(str(c) for c in criteria),
        pr_number=phase.pr_number,
        pr_url=phase.pr_url,
        revisions=phase.revisions + phase.people_revisions,
        note=phase.error or phase.question or None,
    )


def step_text(project: Project) -> str:
    if project.status is ProjectStatus.ABORTED:
        return STEP_TEXT[ProjectStep.ABORTED]
    if project.paused and project.pause_reason:
        return project.pause_reason
    return STEP_TEXT[project.step]


def state_of(project: Project) -> str:
    if project.status is ProjectStatus.ABORTED:
        return project.status.value
    if project.paused and project.paused_by is not None:
        return ProjectStatus.PAUSED.value
    if project.paused and not project.pause_resumable:
        return STOPPED_BUDGET
    return project.status.value


def estimate(report: CostReport, phases: Sequence[Phase], plan_calls: int) -> int | None:
    """Dollars the unfinished phases will likely cost: the average finished phase, or before
    any phase is finished, the average planning call times the calls a phase makes."""
    left = sum(phase.state not in FINISHED for phase in phases)
    if not phases or left == 0:
        return None
    done = [str(p.number) for p in phases if p.state in FINISHED]
    done = [number for number in done if number in report.by_phase]
    if done:
        per_phase = sum(report.by_phase[n] for n in done) // len(done)
    else:
        plan_spend = report.by_phase.get("plan", 0)
        per_phase = plan_spend // max(1, plan_calls) * CALLS_PER_PHASE
    return per_phase * left


def cost_view(project: Project, report: CostReport, phases: Sequence[Phase]) -> CostView:
    plan_calls = sum(line.calls for line in report.lines)
    finished = project.status in (ProjectStatus.DONE, ProjectStatus.FAILED, ProjectStatus.ABORTED)
    return CostView(
        spent_nanousd=report.total_nanousd,
        budget_nanousd=project.budget_nanousd,
        input_tokens=report.total_input_tokens,
        output_tokens=report.total_output_tokens,
        cached_input_tokens=report.provider_cached_tokens,
        cache_saved_nanousd=saved(report),
        estimate_remaining_nanousd=None if finished else estimate(report, phases, plan_calls),
    )


def saved(report: CostReport) -> int:
    return report.response_cache_saved_nanousd + report.provider_cache_saved_nanousd


def totals(project: Project, report: CostReport, phases: Sequence[Phase]) -> Totals | None:
    if project.status is not ProjectStatus.DONE:
        return None
    return Totals(
        phases=len(phases),
        skipped=sum(p.state == PhaseState.SKIPPED for p in phases),
        pull_requests=len({p.pr_number for p in phases if p.pr_number} | final_pr(project)),
        revisions=sum(p.revisions + p.people_revisions for p in phases),
        input_tokens=report.total_input_tokens,
        output_tokens=report.total_output_tokens,
        spent_nanousd=report.total_nanousd,
        cache_saved_nanousd=saved(report),
    )


def final_pr(project: Project) -> set[int]:
    return {project.final_pr_number} if project.final_pr_number else set()


def notices(project: Project, *, waiting_on_github: bool = False) -> tuple[str, ...]:
    ci = not_running_notice(project.ci_workflow, project.integration_branch)
    github = GITHUB_WAITING if waiting_on_github else None
    # One notice per options file that was wrong (`options_problem` holds one a line).
    options = (project.options_problem or "").splitlines()
    found = [github, *options, ci, project.notice, project.error]
    return tuple(text for text in found if text)


def plan_url(project: Project, web_url: str) -> str | None:
    if project.plan_sha is None or project.integration_branch is None:
        return None
    path = plan_path(project.issue_number)
    return f"{web_url}/{project.owner}/{project.repo}/blob/{project.plan_sha}/{path}"


async def build_view(session: AsyncSession, project: Project, *, web_url: str) -> StatusView:
    assert project.id is not None
    phases = await project_phases(session, project_id=project.id)
    report = await cost_report(session, project_id=project.id)
    waiting = await waiting_on_github(session, project_id=project.id) > 0
    return StatusView(
        project_ref=f"{project.owner}/{project.repo}#{project.issue_number}",
        step=step_text(project),
        state=state_of(project),
        phases=tuple(phase_view(phase) for phase in phases),
        cost=cost_view(project, report, phases),
        plan_url=plan_url(project, web_url),
        final_pr_url=project.final_pr_url,
        notices=notices(project, waiting_on_github=waiting),
        totals=totals(project, report, phases),
    )
