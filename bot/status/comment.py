"""The one status comment per project, posted on its issue and edited in place.

Its body is rendered from the project's state (`bot.status.view`, `bot.status.render`); the
digest of the last body posted is stored, so an unchanged status costs no request.
`show_waiting` is the queue's hook for a job that starts or stops waiting on GitHub.
"""

from __future__ import annotations

import hashlib
from typing import Any

from bot.deps import Deps
from bot.github.comments import app_identity, marker, upsert_comment
from bot.github.repo import Repo
from bot.status.render import render_status
from bot.status.view import build_view
from storage.db import transaction
from storage.jobs import Job
from storage.projects import Project, ProjectStatus, get_project, save_project


def status_marker(project: Project) -> str:
    return marker("status", f"project-{project.id}")


def digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


async def render_project_status(deps: Deps, project: Project) -> str:
    async with deps.sessions() as session:
        view = await build_view(session, project, web_url=deps.settings.github_web_url)
    return render_status(view)


async def ensure_status_comment(deps: Deps, project: Project, *, force: bool = False) -> int:
    """Posts or edits the project's status comment, unless it already says this; returns its
    id. Stores the id and the body's digest on the project (and on `project`)."""
    body = await render_project_status(deps, project)
    body_digest = digest(body)
    known = project.status_comment_id
    if known is not None and project.status_digest == body_digest and not force:
        return known
    gh = await deps.github.installation_client(project.installation_id)
    comment_id = await upsert_comment(
        gh,
        Repo(project.owner, project.repo),
        project.issue_number,
        body=body,
        mark=status_marker(project),
        comment_id=known,
        app=await app_identity(deps.github),
    )
    async with transaction(deps.sessions) as session:
        stored = await save_project(
            session, project, status_comment_id=comment_id, status_digest=body_digest
        )
    project.status_comment_id = stored.status_comment_id
    project.status_digest = stored.status_digest
    return comment_id


async def show_waiting(job: Job, deps: Any) -> None:
    """A job of the project started or stopped waiting on GitHub's errors: the status comment
    says so, or no longer. Best effort: GitHub may still be failing, and the comment's next
    edit catches up."""
    assert isinstance(deps, Deps)
    if job.project_id is None:
        return
    async with deps.sessions() as session:
        project = await get_project(session, job.project_id)
    if project is None or project.status in (ProjectStatus.ABORTED, ProjectStatus.FAILED):
        return
    await ensure_status_comment(deps, project)
