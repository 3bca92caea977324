"""What stops a project's model calls: its budget (pause at a fraction, stop at all of it) and
the caps on model calls and jobs per hour.

The call path asks the budget hook before every model call, with the project's spend from the
ledger in exact nano-dollars; the hook raises a `WorkflowStop`, which the job turns into a
recorded pause or stop and a status notice instead of a failure to retry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.options import RepoOptions
from bot.plugins.emit import PLUGIN_EVENT
from bot.workflow.abort import check_not_aborted
from storage import ledger
from storage.db import SessionMaker
from storage.money import format_usd
from storage.projects import Project
from storage.workflow import hour_ago, jobs_since

PAUSED = (
    "Paused at {spent} of the {budget} budget ({percent}%). "
    "Comment /approve to continue up to the budget."
)
EXHAUSTED = (
    "Stopped: {spent} spent of the {budget} budget. Raise budget_usd in "
    ".github/ai-orchestrator.yml and comment /retry to go on."
)
CALLS_CAP = (
    "Stopped: this project made {calls} model calls, the cap (max_model_calls). "
    "Raise it in .github/ai-orchestrator.yml and comment /retry to go on."
)
JOBS_CAP = (
    "Slowed down: {jobs} jobs in the last hour reached the cap (max_jobs_per_hour); "
    "the work goes on when the hour has passed."
)


class WorkflowStop(Exception):
    """The project must not go on now; the message is for the status comment."""

    resumable = False  # True: `/approve` continues it


class BudgetPaused(WorkflowStop):
    resumable = True


class BudgetExhausted(WorkflowStop):
    pass


class CallsCapReached(WorkflowStop):
    pass


def _percent(spent: int, budget: int) -> int:
    return spent * 100 // budget if budget else 100


def check_budget(project: Project, options: RepoOptions, spent: int) -> None:
    """Raises when `spent` reaches the budget, or the pause point unless a person approved
    going past it."""
    budget = options.budget_nanousd
    facts = {
        "spent": format_usd(spent),
        "budget": format_usd(budget),
        "percent": _percent(spent, budget),
    }
    if spent >= budget:
        raise BudgetExhausted(EXHAUSTED.format(**facts))
    if spent >= options.pause_at_nanousd and project.budget_approved_nanousd is None:
        raise BudgetPaused(PAUSED.format(**facts))


def budget_hook(
    sessions: SessionMaker, project: Project, options: RepoOptions
) -> Callable[[int], Awaitable[None]]:
    """The call path's hook for this project: not aborted, the budget, the model-call cap."""
    project_id = project.id
    assert project_id is not None

    async def hook(spent: int) -> None:
        await check_not_aborted(sessions, project_id)
        check_budget(project, options, spent)
        async with sessions() as session:
            calls = await ledger.model_calls(session, project_id=project_id)
        if calls >= options.max_model_calls:
            raise CallsCapReached(CALLS_CAP.format(calls=calls))

    return hook


async def jobs_cap_notice(
    sessions: SessionMaker, project_id: int, options: RepoOptions, now: datetime | None = None
) -> str | None:
    """The notice when the project's jobs of the last hour reached the cap, else None."""
    async with sessions() as session:
        # A plugin's notifications are the app's own doing, not work a loop could multiply.
        since = hour_ago(now)
        jobs = await jobs_since(
            session, project_id=project_id, since=since, except_kinds=[PLUGIN_EVENT]
        )
    return JOBS_CAP.format(jobs=jobs) if jobs > options.max_jobs_per_hour else None
