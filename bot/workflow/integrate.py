"""Step 8, integration: when every phase is merged or skipped, the integration agent checks the
result against the plan and writes the release notes; the final pull request goes from the
integration branch into the default branch, and the status comment says done, with totals."""

from __future__ import annotations

from agents.schemas import IntegrationSummary
from bot.github.pulls import open_pull
from bot.status import markdown as md
from bot.status.comment import ensure_status_comment
from bot.workflow.context import Flow, integration_branch
from bot.workflow.hooks import tell_done
from bot.workflow.phase import all_phases
from bot.workflow.repo import integration_view, notes
from storage.db import transaction
from storage.jobs import Job
from storage.projects import ProjectStatus, save_project
from storage.states import FINISHED, PhaseState, ProjectStep
from storage.workflow import Phase

TITLE = "{title} (#{issue})"


def phase_lines(phases: list[Phase]) -> list[str]:
    lines = []
    for phase in phases:
        state = "merged" if phase.state == PhaseState.MERGED else "skipped"
        pull = f" (#{phase.pr_number})" if phase.pr_number else ""
        lines.append(f"- Phase {phase.number}: {md.inline(phase.name, 200)}{pull}, {state}")
    return lines


def final_body(summary: IntegrationSummary, phases: list[Phase], issue: int) -> str:
    body, notes = md.model_markdown(summary.pr_body), md.model_markdown(summary.release_notes)
    parts = [body.rstrip(), "", "## Release notes", "", notes.rstrip()]
    if summary.undone:
        parts += [
            "",
            "## Left undone",
            "",
            *(f"- {md.inline(item, 500)}" for item in summary.undone),
        ]
    parts += [
        "",
        "## Phases",
        "",
        *phase_lines(phases),
        "",
        f"Readiness: {summary.readiness.value}",
    ]
    parts += ["", f"Closes #{issue}."]
    return "\n".join(parts) + "\n"


async def open_final_pull(flow: Flow, phases: list[Phase]) -> None:
    project = flow.project
    assert project.default_branch is not None
    result = await flow.integration().summarize(
        flow.id,
        flow.plan(),
        issue_number=flow.issue,
        notes=notes(phases),
        repo=integration_view(project, phases),
    )
    pull = await open_pull(
        flow.gh,
        flow.repo,
        head=integration_branch(flow.issue),
        base=project.default_branch,
        # A squash merge makes the title a commit on the default branch: it closes nothing.
        title=md.no_pings(TITLE.format(title=project.issue_title, issue=flow.issue))[:250],
        body=final_body(result.answer, phases, flow.issue),
    )
    await flow.save(final_pr_number=int(pull["number"]), final_pr_url=str(pull["html_url"]))


async def run_integrate(flow: Flow, job: Job) -> None:
    if flow.project.status is ProjectStatus.DONE:
        return
    phases = await all_phases(flow)
    if not phases or any(phase.state not in FINISHED for phase in phases):
        return
    if flow.project.final_pr_number is None:
        await flow.save(step=ProjectStep.INTEGRATING)
        await open_final_pull(flow, phases)
    async with transaction(flow.deps.sessions) as session:
        project = await save_project(
            session, flow.project, step=ProjectStep.DONE, status=ProjectStatus.DONE
        )
        flow.project = project
        await tell_done(session, flow.deps, project)
    await ensure_status_comment(flow.deps, flow.project)
