"""Starting a project: who may, exactly one project per issue, and the first jobs."""

from __future__ import annotations

import logging
from typing import Any

from bot.deps import Deps
from bot.github.comments import app_identity, marker, post_once
from bot.github.permissions import can_write
from bot.github.repo import Repo
from bot.plugins.events import ProjectStarted
from bot.workflow.hooks import tell
from storage.db import transaction
from storage.jobs import NewJob, enqueue
from storage.projects import Project, ProjectCreate, create_project

log = logging.getLogger(__name__)

NOT_ALLOWED = (
    "@{user} only people with write, maintain or admin permission on this repository can "
    "start an AI Orchestrator project. Ask a maintainer to add the `{label}` label."
)


def project_data(payload: dict[str, Any]) -> ProjectCreate:
    repository, issue = payload["repository"], payload["issue"]
    return ProjectCreate(
        installation_id=payload["installation"]["id"],
        repo_id=repository["id"],
        owner=repository["owner"]["login"],
        repo=repository["name"],
        issue_number=issue["number"],
        issue_title=issue.get("title") or "",
        issue_body=issue.get("body") or "",
        started_by=payload["sender"]["login"],
    )


async def start_from_issue(
    deps: Deps, payload: dict[str, Any], *, delivery_id: str
) -> Project | None:
    """Creates the issue's project if the sender may, and queues its announcement.

    A second label, a redelivery or a re-run lands on the same project and the same deduped
    job, so nothing is started twice.
    """
    data = project_data(payload)
    gh = await deps.github.installation_client(data.installation_id)
    allowed = await can_write(
        gh,
        owner=data.owner,
        repo=data.repo,
        username=data.started_by,
        cache=deps.permissions,
        installation_id=data.installation_id,
    )
    if not allowed:
        body = NOT_ALLOWED.format(user=data.started_by, label=deps.settings.trigger_label)
        mark, app = marker("not-allowed", delivery_id), await app_identity(deps.github)
        repo = Repo(data.owner, data.repo)
        await post_once(gh, repo, data.issue_number, body=body, mark=mark, app=app)
        log.info("label by %s refused: no write permission", data.started_by)
        return None
    async with transaction(deps.sessions) as session:
        project, created = await create_project(session, data)
        await enqueue(
            session,
            NewJob(
                kind="announce",
                args={"project_id": project.id},
                project_id=project.id,
                dedupe_key=f"announce:{project.id}",
            ),
        )
        await tell(session, deps, project, ProjectStarted, started_by=project.started_by)
    log.info("project %s %s", project.id, "created" if created else "already exists")
    return project
