"""What the agents see of the repository, kept in the database instead of read from GitHub per
phase: the default branch's files when planning began, plus each merged phase's files.

The integration branch only moves by the phases' merges, so its content is known without a
request; a phase's own branch is that plus the phase's files at its head.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from agents.inputs import PhaseNote
from agents.schemas import MicroPhase
from bot.github.pulls import ChangedFile
from storage.phase_docs import PhaseDocCreate, render_phase_markdown
from storage.projects import Project
from storage.states import PhaseState
from storage.workflow import Phase

DONE_STATES = (PhaseState.MERGED, PhaseState.SKIPPED)


def merged_in_order(phases: Sequence[Phase]) -> list[Phase]:
    merged = [p for p in phases if p.state == PhaseState.MERGED]
    return sorted(merged, key=lambda p: (p.finished_at is None, p.finished_at, p.number))


def integration_view(project: Project, phases: Sequence[Phase]) -> dict[str, str]:
    """path -> content of the integration branch, as far as the prompts need it."""
    view = dict(project.base_files)
    for phase in merged_in_order(phases):
        view.update(phase.files)
    return view


def branch_view(project: Project, phases: Sequence[Phase], phase: Phase) -> dict[str, str]:
    return {**integration_view(project, phases), **phase.files}


def notes(phases: Sequence[Phase]) -> list[PhaseNote]:
    """What each finished phase delivered, for the phases after it."""
    return [
        PhaseNote(
            id=p.number,
            name=p.name,
            summary=p.summary or p.error or "",
            files=sorted(p.files),
            status=str(p.state),
        )
        for p in phases
        if p.state in DONE_STATES
    ]


def added_files(files: Mapping[str, str], base: Mapping[str, str]) -> list[ChangedFile] | None:
    """The pull request's changes when every file is new (each line then takes a review
    comment); None when some file existed, so GitHub's own diff must be asked."""
    if any(path in base for path in files):
        return None
    changed = []
    for path, content in sorted(files.items()):
        lines = content.splitlines()
        patch = f"@@ -0,0 +1,{len(lines)} @@\n" + "\n".join(f"+{line}" for line in lines)
        changed.append(ChangedFile(path, "added", patch, len(lines), 0))
    return changed


def file_note(content: str) -> str:
    lines = len(content.splitlines())
    return f"{lines} lines, sha256 {hashlib.sha256(content.encode()).hexdigest()[:12]}"


def phase_doc(
    project_id: int,
    spec: MicroPhase,
    *,
    summary: str,
    files: Mapping[str, str],
    status: str,
    ci_rounds: Sequence[str] = (),
) -> PhaseDocCreate:
    return PhaseDocCreate(
        project_id=project_id,
        phase=spec.id,
        phase_name=spec.name,
        phase_type=spec.phase_type,
        summary=summary,
        objectives=[spec.description],
        deliverables=list(spec.files_to_create),
        dependencies=[f"phase {number}" for number in spec.dependencies],
        technical_decisions={},
        implementation_notes=[spec.implementation_approach, *spec.tests_to_write],
        validation_criteria=list(spec.acceptance_criteria),
        generated_files={path: file_note(content) for path, content in sorted(files.items())},
        artifacts=[],
        ci_rounds=list(ci_rounds),
        status=status,
        agent_used="developer",
    )


def phase_doc_markdown(doc: PhaseDocCreate) -> str:
    """Rendered from the create model: no timestamps, so a re-run renders the same bytes."""
    return render_phase_markdown(doc)
