"""Actions from the dashboard and the API: checked, then queued in the project's line of jobs.

The request does nothing to the project itself: it asks GitHub whether the viewer may write
(again, on every POST), then queues one `action` job, sorted to run next. That job runs the
slash command's own code and writes the audit row (`bot.commands.requested`), so an action
behaves as the comment `/retry phase-3` would, answer and status comment included.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from bot.actions import (
    ACTION_JOB,
    ACTIONS,
    AHEAD,
    ARGUMENT_LIMIT,
    TAKES_ARGUMENT,
    Action,
    ActionRequest,
    Location,
)
from bot.web.access.errors import AccessError
from bot.web.access.state import access_state
from bot.web.access.viewer import Viewer
from bot.web.access.visibility import require_write
from storage.db import transaction
from storage.jobs import NewJob, enqueue
from storage.projects import Project
from storage.types import utcnow

__all__ = ["ACTIONS", "Queued", "perform"]

UNKNOWN_ACTION = "unknown action {action!r}; actions: {known}"
NEEDS_ARGUMENT = "{action} needs an argument: {what}"
NO_ARGUMENT = "{action} takes no argument"
BAD_ARGUMENT = "the argument must be one line of at most {limit} characters"
WHAT = {Action.SKIP: "the phase, e.g. phase-3", Action.INVALIDATE_CACHE: "a cache key"}


@dataclass(frozen=True)
class Queued:
    job_id: int
    action: str
    argument: str


def checked(action: str, argument: str) -> tuple[Action, str]:
    """The action and its argument, or `AccessError` (400) saying what is wrong."""
    if action not in ACTIONS:
        raise AccessError(UNKNOWN_ACTION.format(action=action[:64], known=", ".join(ACTIONS)))
    chosen, argument = Action(action), argument.strip()
    if len(argument) > ARGUMENT_LIMIT or "\n" in argument or "\r" in argument:
        raise AccessError(BAD_ARGUMENT.format(limit=ARGUMENT_LIMIT))
    takes = TAKES_ARGUMENT.get(chosen)
    if takes is None and argument:
        raise AccessError(NO_ARGUMENT.format(action=action))
    if takes == "required" and not argument:
        raise AccessError(NEEDS_ARGUMENT.format(action=action, what=WHAT[chosen]))
    return chosen, argument


async def perform(
    request: Request, viewer: Viewer, project: Project, action: str, *, argument: str = ""
) -> Queued:
    """Re-checks write permission (`Forbidden`), validates the action (`AccessError`) and
    queues it; the job runs the slash command's code and writes the audit row."""
    chosen, argument = checked(action, argument)
    await require_write(request, viewer, project)
    assert project.id is not None
    args = ActionRequest(
        project_id=project.id,
        action=chosen,
        argument=argument,
        login=viewer.login,
        user_id=viewer.user_id,
        location=Location(viewer.where),
    )
    job = NewJob(
        kind=ACTION_JOB,
        args=args.model_dump(mode="json"),
        project_id=project.id,
        run_after=utcnow() - AHEAD,
    )
    async with transaction(access_state(request).sessions) as session:
        queued = await enqueue(session, job)
    assert queued is not None and queued.id is not None  # no dedupe key: always new
    return Queued(queued.id, chosen.value, argument)
