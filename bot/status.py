"""The one status comment per project, posted on its issue and edited in place."""

from __future__ import annotations

from bot.comments import marker, upsert_comment
from bot.context import Deps
from storage.db import transaction
from storage.projects import Project, ProjectStatus

PLANNING = (
    "### 🤖 AI Orchestrator\n\n"
    "⏳ **Planning…** The manager and developer agents are brainstorming this issue. "
    "This comment is edited in place as the work goes on."
)
STATUS_TEXT = {ProjectStatus.PLANNING: PLANNING}


def status_marker(project: Project) -> str:
    return marker("status", f"project-{project.id}")


def render_status(project: Project) -> str:
    return STATUS_TEXT.get(project.status, f"### 🤖 AI Orchestrator\n\nState: {project.status}")


async def ensure_status_comment(deps: Deps, project: Project) -> int:
    """Posts or edits the project's status comment and stores its id."""
    gh = await deps.github.installation_client(project.installation_id)
    comment_id = await upsert_comment(
        gh,
        owner=project.owner,
        repo=project.repo,
        number=project.issue_number,
        body=render_status(project),
        mark=status_marker(project),
        comment_id=project.status_comment_id,
    )
    if comment_id != project.status_comment_id:
        async with transaction(deps.sessions) as session:
            stored = await session.get(Project, project.id)
            if stored is not None:
                stored.status_comment_id = comment_id
                session.add(stored)
        project.status_comment_id = comment_id
    return comment_id
