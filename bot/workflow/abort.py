"""`/abort` reaching the job in flight: the project's row says aborted the moment the command
is accepted, and a workflow job asks before each model call and each GitHub write, so it stops
at its next step (no further model call, commit, pull request or review)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from storage.db import SessionMaker
from storage.projects import ProjectStatus, get_project


class ProjectAborted(Exception):
    """The project was aborted while this job ran: the job ends here, recording nothing."""


async def check_not_aborted(sessions: SessionMaker, project_id: int) -> None:
    async with sessions() as session:
        project = await get_project(session, project_id)
    if project is None or project.status is ProjectStatus.ABORTED:
        raise ProjectAborted(f"project {project_id} was aborted")


def abort_guard(sessions: SessionMaker, project_id: int) -> Callable[[], Awaitable[None]]:
    """The check as a hook for `GitHubClient.guarded`."""

    async def guard() -> None:
        await check_not_aborted(sessions, project_id)

    return guard
