"""Actions that people take from the dashboard or the REST API rather than in a comment.

The web layer may not import `bot.commands` (tests/test_layers.py), so what both sides share
is here: the job kind, the actions (the slash commands' own names) and the job's arguments.
`bot.web.access.perform` checks and queues; `bot.commands.requested` runs the command's own
code in the project's line of jobs and writes the audit row.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

ACTION_JOB = "action"
# Sorted before the project's queued work, as a comment's commands are: it runs next.
AHEAD = timedelta(hours=1)
ARGUMENT_LIMIT = 200


class Action(StrEnum):
    RETRY = "retry"
    APPROVE = "approve"
    PAUSE = "pause"
    RESUME = "resume"
    ABORT = "abort"
    SKIP = "skip"
    INVALIDATE_CACHE = "invalidate-cache"


ACTIONS = tuple(action.value for action in Action)
# What each action's argument is: none, optional or required (a phase or a cache key).
TAKES_ARGUMENT: dict[Action, str] = {
    Action.RETRY: "optional",
    Action.SKIP: "required",
    Action.INVALIDATE_CACHE: "required",
}


class Location(StrEnum):
    DASHBOARD = "dashboard"
    API = "api"


class ActionRequest(BaseModel):
    """A queued action job's arguments."""

    project_id: int
    action: Action
    argument: str = Field(default="", max_length=ARGUMENT_LIMIT)
    login: str
    user_id: int
    location: Location
