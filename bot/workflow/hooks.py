"""What the workflow tells the plugins, as it happens: each step that makes a transition
builds the event's payload and queues it (`bot.plugins.emit`) in the transaction that writes
the transition, so a step run again after a crash neither loses the event nor queues it twice.

An event's key names its occurrence: the project, the phase, and what tells two occurrences
apart (the head commit, the retry's attempt, the failed job's key), never the time.
"""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.deps import Deps
from bot.plugins.emit import emit
from bot.plugins.events import Event, PhaseRef, ProjectDone, ProjectRef
from storage.ledger import project_spend_nanousd
from storage.money import NANO
from storage.projects import Project
from storage.states import PhaseState
from storage.types import utcnow
from storage.workflow import Phase, project_phases

E = TypeVar("E", bound=Event)


def digest(text: str) -> str:
    """A short stand-in for a long key part (a job's dedupe key)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def issue_url(deps: Deps, project: Project) -> str:
    return f"{deps.settings.github_web_url}/{project.full_name}/issues/{project.issue_number}"


async def project_ref(session: AsyncSession, deps: Deps, project: Project) -> ProjectRef:
    assert project.id is not None
    spent = await project_spend_nanousd(session, project_id=project.id)
    return ProjectRef(
        id=project.id,
        repository=project.full_name,
        issue_number=project.issue_number,
        issue_title=project.issue_title,
        issue_url=issue_url(deps, project),
        spent_usd=spent / NANO,
        budget_usd=project.budget_nanousd / NANO,
    )


def phase_ref(phase: Phase) -> PhaseRef:
    return PhaseRef(
        number=phase.number, name=phase.name, pr_number=phase.pr_number, pr_url=phase.pr_url
    )


async def tell(
    session: AsyncSession,
    deps: Deps,
    project: Project,
    kind: type[E],
    *key: object,
    **fields: Any,
) -> None:
    """Queues the event `kind` of the project (keyed by `key` after the hook and the project)
    with `fields`, when an enabled plugin takes it; in the caller's transaction."""
    if not deps.plugins.takes(kind.hook):
        return  # not even the spend is read: without plugins nothing changes
    name = ":".join([kind.hook, str(project.id), *(str(part) for part in key)])
    ref = await project_ref(session, deps, project)
    event = kind(key=name, project=ref, occurred_at=utcnow(), **fields)
    await emit(session, deps.plugins, event)


async def tell_phase(
    session: AsyncSession,
    deps: Deps,
    project: Project,
    kind: type[E],
    phase: Phase,
    *key: object,
    **fields: Any,
) -> None:
    """`tell` for an event of `phase` (its number leads the key)."""
    await tell(session, deps, project, kind, phase.number, *key, phase=phase_ref(phase), **fields)


async def tell_done(session: AsyncSession, deps: Deps, project: Project) -> None:
    """The project is done (in the caller's transaction, which recorded it)."""
    assert project.id is not None
    phases = await project_phases(session, project_id=project.id)
    await tell(
        session,
        deps,
        project,
        ProjectDone,
        final_pr_number=project.final_pr_number,
        final_pr_url=project.final_pr_url,
        phases_merged=sum(p.state is PhaseState.MERGED for p in phases),
        phases_skipped=sum(p.state is PhaseState.SKIPPED for p in phases),
    )
