"""Driving whole projects in tests: start one from a labelled issue, approve it, and read back
what it did on the fake GitHub and in the database."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from storage.db import transaction
from storage.jobs import Job, JobStatus
from storage.projects import Project
from storage.types import utcnow
from storage.workflow import Phase, project_phases
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub, Killed
from tests.fakegithub.model import IssueComment, PullRequest
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject

REPO = "octo-org/hello-world"
INTEGRATION = "ai-orchestrator/issue-1"  # the integration branch of the first issue
OPTIONS_PATH = ".github/ai-orchestrator.yml"
STATUS_MARK = "ai-orchestrator:status:project-"
AUTO = "plan_approval: auto\n"  # options: the phases start without waiting for /approve


def set_options(fake: FakeGitHub, text: str) -> None:
    fake.commit_files(fake.get_repo(REPO), "main", {OPTIONS_PATH: text}, "Options")


async def start_project(
    app: RunningApp,
    fake: FakeGitHub,
    *,
    title: str = "Back office for orders",
    body: str = "Orders, invoices and payments.",
    labeller: str = "writer",
) -> int:
    """A person opens an issue, a writer labels it; the app runs until it waits."""
    _, opened = fake.person_opens_issue("octocat", title, body)
    number = int(opened["issue"]["number"])
    await app.deliver(*fake.person_labels_issue(labeller, number, "ai-orchestrator"))
    await app.settle(fake)
    return number


async def run_approved_project(
    app: RunningApp, fake: FakeGitHub, model: ScriptedModel, phases: int = 3
) -> int:
    """A scripted project of `phases` phases, started and its plan approved by a writer; runs
    until it waits (to the end, unless the test's script stops it)."""
    ScriptedProject(phases=phases).install(model)
    number = await start_project(app, fake)
    await comment(app, fake, "writer", number, "/approve")
    return number


async def comment(app: RunningApp, fake: FakeGitHub, login: str, number: int, body: str) -> None:
    await app.deliver(*fake.person_comments(login, number, body))
    await app.settle(fake)


async def project_of(app: RunningApp) -> Project:
    async with app.runtime.sessions() as session:
        return (await session.exec(select(Project))).one()


async def phases_of(app: RunningApp) -> list[Phase]:
    project = await project_of(app)
    assert project.id is not None
    async with app.runtime.sessions() as session:
        return await project_phases(session, project_id=project.id)


def status_comments(fake: FakeGitHub, number: int) -> list[IssueComment]:
    return [c for c in fake.comments_on(number) if STATUS_MARK in c.body]


def status_text(fake: FakeGitHub, number: int) -> str:
    """The status comment's text, with Markdown's escaping backslashes taken out."""
    [status] = status_comments(fake, number)
    return status.body.replace("\\", "")


def pulls(fake: FakeGitHub) -> list[PullRequest]:
    return sorted(fake.get_repo(REPO).pulls.values(), key=lambda p: p.number)


def app_pulls(fake: FakeGitHub) -> list[PullRequest]:
    return [p for p in pulls(fake) if p.user.login == fake.bot_login]


def reviews_on(fake: FakeGitHub, number: int) -> list[str]:
    repo = fake.get_repo(REPO)
    return [r.state for r in repo.reviews.values() if r.pull_number == number]


def check_runs_on(fake: FakeGitHub, sha: str) -> list[str | None]:
    repo = fake.get_repo(REPO)
    return [
        run.conclusion
        for run in repo.check_runs.values()
        if run.head_sha == sha and run.name == "ai-orchestrator/validator"
    ]


async def job_errors(app: RunningApp) -> list[tuple[str, str, str | None]]:
    """(kind, status, last error) of every job that did not end well: for failure messages."""
    async with app.runtime.sessions() as session:
        jobs = (await session.exec(select(Job))).all()
    return [(j.kind, j.status.value, j.last_error) for j in jobs if j.last_error]


async def run_until(
    app: RunningApp, fake: FakeGitHub, done: Callable[[], bool | Awaitable[bool]]
) -> None:
    """Runs jobs one at a time (delivering the app's own webhooks) until `done()` (which may
    be a coroutine function, to look in the database)."""

    async def holds() -> bool:
        answer = done()
        return await answer if inspect.isawaitable(answer) else bool(answer)

    worker = app.worker()
    for _ in range(500):
        if await holds():
            return
        ran = await worker.run_once()
        events, fake.outbox[:] = list(fake.outbox), []
        await app.deliver_all(events)
        if ran is None and not events:
            break
    assert await holds(), "the app stopped before the condition held"


async def retry_now(app: RunningApp) -> None:
    """The failed jobs' backoff is over (as if another worker took them up)."""
    async with transaction(app.runtime.sessions) as session:
        await session.exec(
            update(Job).where(col(Job.status) == JobStatus.QUEUED).values(run_after=utcnow())
        )


async def expire_leases(app: RunningApp) -> None:
    """The leases of the jobs a killed worker held have run out: any worker claims them."""
    past = utcnow() - timedelta(seconds=1)
    async with transaction(app.runtime.sessions) as session:
        await session.exec(
            update(Job).where(col(Job.status) == JobStatus.RUNNING).values(lease_expires_at=past)
        )


async def settle_through_a_kill(app: RunningApp, fake: FakeGitHub) -> None:
    """Runs the app until the fake's kill point kills the worker (`fake.kill_at`), then as
    after a restart: the lease runs out, and the jobs (the killed one again) run to the end,
    failed ones retried at once."""
    with pytest.raises(Killed):
        await app.settle(fake)
    await expire_leases(app)
    await settle_with_retries(app, fake)


async def settle_with_retries(app: RunningApp, fake: FakeGitHub, *, rounds: int = 5) -> None:
    """Runs the app until it waits, failed jobs retried at once (up to `rounds` times)."""
    for _ in range(rounds):
        await app.settle(fake)
        await retry_now(app)
    await app.settle(fake)


def bare_project(**overrides: Any) -> Project:
    """A project row with placeholder fields, for tests of one rule or one column."""
    fields: dict[str, Any] = {
        "installation_id": 1,
        "repo_id": 1,
        "owner": "o",
        "repo": "r",
        "issue_number": 1,
        "issue_title": "t",
        "started_by": "p",
    }
    return Project(**(fields | overrides))
