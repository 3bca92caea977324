"""A phase's rows and where it lives on GitHub: its branch, the branch its PR merges into, the
commit it starts from; and `enter`, which writes a move of the transition table. Shared by the
steps of a phase."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from agents.schemas import MicroPhase
from bot.files.sensitive import holds_secrets
from bot.github.git import read_file
from bot.github.pulls import pull_files
from bot.workflow.context import Flow, integration_branch, phase_branch
from bot.workflow.schedule import Next, advance
from bot.workflow.states import Event, Move, transition
from bot.workflow.steps import queue
from storage.db import transaction
from storage.projects import Project
from storage.types import utcnow
from storage.workflow import Phase, get_phase, project_phases, update_phase


@dataclass(frozen=True)
class Target:
    branch: str  # the phase's head branch
    base: str  # where its pull request merges
    parent: str  # the commit its first commit goes on
    parent_tree: str | None  # that commit's tree, when known


def target(flow: Flow, phase: Phase) -> Target:
    """Micro-phases branch from the integration branch; the legacy workflow's one phase
    branches from the default branch and its pull request goes straight into it."""
    project = flow.project
    if flow.legacy:
        assert project.base_sha is not None and project.default_branch is not None
        return Target(
            integration_branch(flow.issue), project.default_branch, project.base_sha, None
        )
    assert project.integration_sha is not None
    return Target(
        phase_branch(flow.issue, phase.number),
        integration_branch(flow.issue),
        project.integration_sha,
        project.integration_tree,
    )


def spec_of(phase: Phase) -> MicroPhase:
    return MicroPhase.model_validate(phase.spec)


async def load_phase(flow: Flow, number: int) -> Phase | None:
    async with flow.deps.sessions() as session:
        return await get_phase(session, project_id=flow.id, number=number)


async def all_phases(flow: Flow) -> list[Phase]:
    async with flow.deps.sessions() as session:
        return await project_phases(session, project_id=flow.id)


async def save_phase(flow: Flow, phase: Phase, **changes: Any) -> Phase:
    async with transaction(flow.deps.sessions) as session:
        return await update_phase(session, phase, **changes)


async def read_phase_files(flow: Flow, pr_number: int, sha: str) -> dict[str, str]:
    """The files a pull request changes, as they are at `sha` (a person pushed, or work under
    way was found): one request for the list, one per file."""
    files: dict[str, str] = {}
    for changed in await pull_files(flow.gh, flow.repo, pr_number):
        if changed.status == "removed" or changed.path.startswith(".ai-orchestrator/"):
            continue
        if holds_secrets(changed.path):  # a person's `.env` pushed by mistake goes nowhere
            continue
        content = await read_file(flow.gh, flow.repo, changed.path, sha)
        if content is not None:
            files[changed.path] = content
    return files


async def enter(
    session: AsyncSession,
    project: Project,
    phase: Phase,
    move: Move,
    *tags: object,
    sha: str | None = None,
    run_after: timedelta | None = None,
    **changes: Any,
) -> tuple[Phase, Next | None]:
    """Writes `move` in the caller's transaction: the phase's new state (with `changes`), the
    job the move queues (for the phase, at `sha` when given, after `run_after`; `tags` tell
    runs apart) and, when the move says so, what the schedule starts next (returned)."""
    assert project.id is not None
    phase = await update_phase(session, phase, state=move.state, **changes)
    if move.job is not None:
        args: dict[str, Any] = {"phase": phase.number} | ({} if sha is None else {"sha": sha})
        at = None if run_after is None else utcnow() + run_after
        await queue(session, move.job, project.id, *tags, run_after=at, **args)
    return phase, (await advance(session, project) if move.advance else None)


async def move_phase(
    flow: Flow, phase: Phase, event: Event, *tags: object, sha: str | None = None, **changes: Any
) -> Phase:
    """The table's move for `event`, written in a transaction of its own."""
    move = transition(phase.state, event, flow.rules)
    async with transaction(flow.deps.sessions) as session:
        phase, _ = await enter(session, flow.project, phase, move, *tags, sha=sha, **changes)
    return phase
