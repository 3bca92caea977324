"""What people (and CI) do on the workflow's pull requests, turned into the project's jobs.

Handlers call these with the webhook payload. Each only stores what it must (feedback from
people with write permission) and queues a job of the project, so the change to the phase
happens in the project's own line of jobs, never beside a running one.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.deps import Deps
from bot.github.permissions import can_write
from bot.workflow.states import Event, queued_by
from bot.workflow.steps import PERSON_MERGED, queue
from storage.ci_apps import remember_ci_app
from storage.db import transaction
from storage.projects import Project
from storage.workflow import Feedback, Phase, add_feedback, phase_for_pull, phases_at

log = logging.getLogger(__name__)


async def _phase(deps: Deps, payload: dict[str, Any]) -> tuple[Project, Phase] | None:
    repo_id = int(payload["repository"]["id"])
    number = int(payload["pull_request"]["number"])
    async with deps.sessions() as session:
        return await phase_for_pull(session, repo_id=repo_id, pr_number=number)


async def writer(deps: Deps, payload: dict[str, Any], login: str) -> bool:
    """Whether `login` may write to the payload's repository (so their words may reach a
    prompt)."""
    gh = await deps.github.installation_client(int(payload["installation"]["id"]))
    repository = payload["repository"]
    return await can_write(
        gh,
        owner=repository["owner"]["login"],
        repo=repository["name"],
        username=login,
        cache=deps.permissions,
        installation_id=int(payload["installation"]["id"]),
    )


async def pull_closed(deps: Deps, payload: dict[str, Any]) -> None:
    """A person merged a phase's pull request by hand: it counts as the phase's merge."""
    pull = payload["pull_request"]
    found = await _phase(deps, payload)
    if found is None or not pull.get("merged"):
        return
    project, phase = found
    sha, by = str(pull.get("merge_commit_sha")), payload["sender"]["login"]
    # Queued whatever the phase's state: the job's own move (`merged on GitHub`) decides.
    async with transaction(deps.sessions) as session:
        await queue(session, PERSON_MERGED, _id(project), phase=phase.number, sha=sha, by=by)


async def pull_pushed(deps: Deps, payload: dict[str, Any]) -> None:
    """A person pushed to a phase's branch: their commits are kept and reviewed."""
    found = await _phase(deps, payload)
    if found is None:
        return
    project, phase = found
    sha = str(payload["pull_request"]["head"]["sha"])
    job = queued_by(phase.state, Event.PUSHED)
    if job is None or sha == phase.head_sha:
        return
    async with transaction(deps.sessions) as session:
        await queue(session, job, _id(project), phase=phase.number, sha=sha)


async def feedback(deps: Deps, payload: dict[str, Any], item: Feedback) -> None:
    """Stores a writer's review or review comment and queues the revision answering it;
    anything by anyone else is dropped here and never reaches a prompt."""
    found = await _phase(deps, payload)
    if found is None or not item.body.strip():
        return
    project, phase = found
    job = queued_by(phase.state, Event.FEEDBACK)
    if job is None or not await writer(deps, payload, item.author):
        log.info("feedback by %s on #%s not taken", item.author, phase.pr_number)
        return
    item.project_id, item.phase = _id(project), phase.number
    async with transaction(deps.sessions) as session:
        stored = await add_feedback(session, item)
        if stored is not None:
            await queue(session, job, _id(project), f"feedback-{stored.id}", phase=phase.number)


async def ci_finished(deps: Deps, repo_id: int, sha: str, trigger: str) -> None:
    """CI reported on a commit: phases waiting for CI at that head try their merge again."""
    async with deps.sessions() as session:
        waiting = await phases_at(session, repo_id=repo_id, head_sha=sha)
    async with transaction(deps.sessions) as session:
        for project, phase in waiting:
            job = queued_by(phase.state, Event.CI_REPORTED)
            if job is not None:
                await queue(session, job, _id(project), trigger, phase=phase.number, sha=sha)


async def ci_app_seen(deps: Deps, repo_id: int, app_id: int, slug: str) -> None:
    """An App reported a check run on the repository: its queued suites count from now on."""
    async with transaction(deps.sessions) as session:
        await remember_ci_app(session, repo_id=repo_id, app_id=app_id, slug=slug)


def _id(project: Project) -> int:
    assert project.id is not None
    return project.id
