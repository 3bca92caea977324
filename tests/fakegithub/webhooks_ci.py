"""Webhook payloads of GitHub Actions and commit statuses: `workflow_run`, `workflow_job`, `status`.

Built from the same shapes as the REST answers (`shapes_ci`), wrapped in the repository
envelope, and checked against GitHub's webhook description when queued. (`check_run` and
`check_suite` are in `webhooks`, with the other checks code.)
"""

from __future__ import annotations

from typing import Any

from tests.fakegithub.base import FakeBase
from tests.fakegithub.ci_model import Job, WorkflowRun
from tests.fakegithub.model import Event, Repo, Status, User
from tests.fakegithub.shapes_ci import job_json, workflow_json, workflow_run_json
from tests.fakegithub.shapes_git import commit_json, status_json
from tests.fakegithub.webhooks import envelope


def workflow_run_event(
    fake: FakeBase, repo: Repo, run: WorkflowRun, action: str, sender: User
) -> Event:
    fields = {
        "action": action,
        "workflow": workflow_json(fake.urls, repo, run.config),
        "workflow_run": workflow_run_json(fake.urls, repo, run),
    }
    return "workflow_run", envelope(fake, repo, sender, fields)


def workflow_job_event(
    fake: FakeBase, repo: Repo, run: WorkflowRun, job: Job, action: str, sender: User
) -> Event:
    fields = {"action": action, "workflow_job": job_json(fake.urls, repo, run, job)}
    return "workflow_job", envelope(fake, repo, sender, fields)


def status_event(fake: FakeBase, repo: Repo, status: Status, sender: User) -> Event:
    shape = status_json(fake.urls, repo, status)
    branches = [
        {
            "name": ref.removeprefix("refs/heads/"),
            "commit": {"sha": sha, "url": f"{fake.urls.api}/repos/{repo.full_name}/commits/{sha}"},
            "protected": False,
        }
        for ref, sha in sorted(repo.refs.items())
        if sha == status.sha and ref.startswith("refs/heads/")
    ]
    fields: dict[str, Any] = {
        "id": status.id,
        "sha": status.sha,
        "name": repo.full_name,
        "state": status.state,
        "context": status.context,
        "description": status.description,
        "target_url": status.target_url,
        "avatar_url": shape["avatar_url"],
        "created_at": shape["created_at"],
        "updated_at": shape["updated_at"],
        "branches": branches,
        "commit": commit_json(fake.urls, repo, repo.git.commits[status.sha]),
    }
    return "status", envelope(fake, repo, sender, fields)
