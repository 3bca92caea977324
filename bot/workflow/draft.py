"""The developer's files for a phase and the git agent's text for its commit and pull request,
checked and ready to commit (nothing is stored or written here)."""

from __future__ import annotations

from typing import Any

from bot.files.pathcheck import check_files, normalize
from bot.status import markdown as md
from bot.workflow.context import Flow
from bot.workflow.errors import PhaseRefused
from bot.workflow.phase import all_phases, spec_of
from bot.workflow.repo import integration_view, notes
from storage.workflow import Phase

REFUSED = "The developer's files were refused, so nothing was committed: {problems}"
MANIFEST_HEADING = "### What the model was given"


def pr_body(flow: Flow, phase: Phase, body: str, manifest: str) -> str:
    """The git agent's body (pinging no one), a link to the issue, and last what the model
    was given."""
    what = f"Phase {phase.number} of #{flow.issue}" if not flow.legacy else f"For #{flow.issue}"
    text = md.model_markdown(body.rstrip())
    return f"{text}\n\n---\n{what}.\n\n{MANIFEST_HEADING}\n\n{manifest}\n"


async def draft_files(flow: Flow, phase: Phase) -> dict[str, Any]:
    """The developer's files (checked) and the PR text, as the phase's new fields."""
    phases = await all_phases(flow)
    spec, plan = spec_of(phase), flow.plan()
    view = dict(flow.project.base_files) if flow.legacy else integration_view(flow.project, phases)
    made = await flow.developer().phase_files(flow.id, plan, spec, notes=notes(phases), repo=view)
    given = {f.path: f.content for f in made.answer.files}
    problems = check_files(given, flow.options)
    if problems:
        raise PhaseRefused(REFUSED.format(problems="; ".join(problems)))
    files = {normalize(path): content for path, content in given.items()}
    text = await flow.git().pr_text(
        flow.id, spec, issue_number=flow.issue, summary=made.answer.summary, paths=list(files)
    )
    return {
        "files": files,
        # Commit messages reach the default branch with the final merge: none closes an issue.
        "commit_message": md.no_pings(text.answer.commit_message),
        "summary": made.answer.summary,
        "manifest": made.manifest.markdown(),
        "pr_title": md.no_pings(text.answer.title)[:250],
        "pr_body": pr_body(flow, phase, text.answer.body, made.manifest.markdown()),
    }
