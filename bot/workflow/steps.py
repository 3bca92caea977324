"""The workflow's job kinds and how a step queues the next.

Every job carries its project's id (so a project's jobs never overlap) and a dedupe key naming
the step and its inputs, so the same step on the same inputs is queued once, whoever asks.
Which job an event queues is the transition table's (`bot.workflow.states`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.jobs import NewJob, enqueue

PLAN = "plan"
PLAN_FILE = "plan_file"
PHASE_CODE = "phase_code"
PHASE_REVIEW = "phase_review"
PHASE_REVISE = "phase_revise"
PHASE_RECOVER = "phase_recover"
PHASE_CI_FIX = "phase_ci_fix"
PHASE_MERGE = "phase_merge"
PHASE_SYNC = "phase_sync"
PERSON_MERGED = "person_merged"
INTEGRATE = "integrate"


def dedupe_key(kind: str, project_id: int, *inputs: object) -> str:
    return ":".join([kind, str(project_id), *(str(part) for part in inputs)])


async def queue(
    session: AsyncSession,
    kind: str,
    project_id: int,
    *tags: object,
    run_after: datetime | None = None,
    **args: Any,
) -> bool:
    """Queues `kind` for the project with `args`, once: its dedupe key is the kind, the project,
    the arguments' values in order, then `tags` (what else tells two runs apart, such as the
    revision count or what triggered it). True when the job was new."""
    job = await enqueue(
        session,
        NewJob(
            kind=kind,
            args={"project_id": project_id, **args},
            project_id=project_id,
            dedupe_key=dedupe_key(kind, project_id, *args.values(), *tags),
            run_after=run_after,
        ),
    )
    return job is not None
