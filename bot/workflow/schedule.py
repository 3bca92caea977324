"""Which phase goes next: one phase at a time, in dependency order, then the integration.

One at a time keeps every phase branched from an integration branch that already holds all it
depends on, so phases never conflict with each other and merge in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.workflow.steps import INTEGRATE, PHASE_CODE, queue
from storage.projects import Project
from storage.states import ACTIVE, FINISHED, PhaseState
from storage.workflow import Phase, project_phases

BLOCKED = "Failed: phase {failed}. Waiting for it: {waiting}."


class Next(StrEnum):
    BUSY = "busy"
    CODE = "code"
    INTEGRATE = "integrate"
    BLOCKED = "blocked"


def next_phase(phases: Sequence[Phase]) -> tuple[Next, Phase | None]:
    if any(phase.state in ACTIVE for phase in phases):
        return Next.BUSY, None
    finished = {phase.number for phase in phases if phase.state in FINISHED}
    for phase in sorted(phases, key=lambda p: p.number):
        if phase.state == PhaseState.PLANNED and set(phase.depends_on) <= finished:
            return Next.CODE, phase
    if all(phase.state in FINISHED for phase in phases):
        return Next.INTEGRATE, None
    return Next.BLOCKED, None


def blocked_notice(phases: Sequence[Phase]) -> str:
    failed = [str(p.number) for p in phases if p.state == PhaseState.FAILED]
    waiting = [str(p.number) for p in phases if p.state == PhaseState.PLANNED]
    names = f"phase {waiting[0]}" if len(waiting) == 1 else f"phases {', '.join(waiting)}"
    return BLOCKED.format(failed=", ".join(failed) or "?", waiting=names)


async def advance(session: AsyncSession, project: Project) -> Next:
    """Queues what comes next for the project (in the caller's transaction)."""
    assert project.id is not None
    phases = await project_phases(session, project_id=project.id)
    step, phase = next_phase(phases)
    if step is Next.CODE and phase is not None:
        await queue(
            session,
            PHASE_CODE,
            project.id,
            phase.number,
            phase.attempt,
            phase=phase.number,
            attempt=phase.attempt,
        )
    elif step is Next.INTEGRATE and project.workflow != "legacy":
        await queue(session, INTEGRATE, project.id, project.integration_sha)
    return step
