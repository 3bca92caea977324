"""The trigger label: one project and one status comment per issue, for people who may write."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from bot.status.render import HEADING
from bot.workflow.start import NOT_ALLOWED
from storage.db import transaction
from storage.jobs import Job, JobStatus
from storage.projects import Project
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub

REPO = "octo-org/hello-world"


def comments_on(fake: FakeGitHub, number: int) -> list[str]:
    repo = fake.state.repos[REPO]
    return [c.body for c in repo.comments.values() if c.issue_number == number]


async def projects(app: RunningApp) -> list[Project]:
    async with app.runtime.sessions() as session:
        return list((await session.exec(select(Project))).all())


async def jobs_of(app: RunningApp, kind: str) -> list[Job]:
    async with app.runtime.sessions() as session:
        return list((await session.exec(select(Job).where(Job.kind == kind))).all())


async def open_and_label(app: RunningApp, fake: FakeGitHub, login: str = "writer") -> int:
    _, opened = fake.person_opens_issue("octocat", "Build a todo API", "CRUD for todos")
    number = int(opened["issue"]["number"])
    event, payload = fake.person_labels_issue(login, number, "ai-orchestrator")
    response = await app.deliver(event, payload)
    assert response.status_code == 202
    await app.drain()
    return number


async def test_label_by_writer_creates_project_status_comment_and_plan_job(
    app: RunningApp, fake_github: FakeGitHub
) -> None:
    number = await open_and_label(app, fake_github)
    [project] = await projects(app)
    assert (project.owner, project.repo, project.issue_number) == (
        "octo-org",
        "hello-world",
        number,
    )
    assert project.issue_title == "Build a todo API" and project.issue_body == "CRUD for todos"
    assert project.started_by == "writer"
    [comment] = comments_on(fake_github, number)
    assert comment.startswith(f"{HEADING}\n\n⏳ **Planning…")
    assert f"ai-orchestrator:status:project-{project.id}" in comment
    assert project.status_comment_id is not None
    [plan] = await jobs_of(app, "plan")
    assert plan.status is JobStatus.QUEUED and plan.project_id == project.id


async def test_second_label_and_redelivery_start_nothing_new(
    app: RunningApp, fake_github: FakeGitHub
) -> None:
    number = await open_and_label(app, fake_github)
    # a person removes the label and adds it again; then the same delivery twice more
    fake_github.state.repos[REPO].issues[number].labels.clear()
    event, payload = fake_github.person_labels_issue("octocat", number, "AI-Orchestrator")
    await app.deliver(event, payload)
    await app.deliver(event, payload, delivery_id="same-delivery")
    assert (await app.deliver(event, payload, delivery_id="same-delivery")).status_code == 200
    await app.drain()
    assert len(await projects(app)) == 1
    assert len(comments_on(fake_github, number)) == 1
    assert len(await jobs_of(app, "plan")) == 1
    assert len(await jobs_of(app, "announce")) == 1


async def test_announce_job_run_again_edits_instead_of_posting(
    app: RunningApp, fake_github: FakeGitHub
) -> None:
    number = await open_and_label(app, fake_github)
    posts_before = fake_github.calls("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
    async with transaction(app.runtime.sessions) as session:
        [announce] = (await session.exec(select(Job).where(Job.kind == "announce"))).all()
        announce.status = JobStatus.QUEUED  # as if its worker died after posting
        project = (await session.exec(select(Project))).one()
        project.status_comment_id = None  # ... and before storing the comment's id
        session.add_all([announce, project])
    assert await app.drain() == 1
    assert len(comments_on(fake_github, number)) == 1
    posts_after = fake_github.calls("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
    assert posts_after == posts_before
    [project] = await projects(app)
    assert project.status_comment_id is not None


async def test_issue_opened_with_the_label_starts_a_project(
    app: RunningApp, fake_github: FakeGitHub
) -> None:
    event, payload = fake_github.person_opens_issue(
        "maintainer", "Add search", "Full-text search", labels=["ai-orchestrator"]
    )
    await app.deliver(event, payload)
    await app.drain()
    [project] = await projects(app)
    assert project.started_by == "maintainer"


async def test_label_without_write_permission_gets_a_reply_and_no_project(
    app: RunningApp, fake_github: FakeGitHub
) -> None:
    _, opened = fake_github.person_opens_issue("octocat", "Build it", "")
    number = int(opened["issue"]["number"])
    for login in ("reader", "triager"):
        event, payload = fake_github.person_labels_issue(login, number, "ai-orchestrator")
        payload["sender"]["author_association"] = "CONTRIBUTOR"
        await app.deliver(event, payload, delivery_id=f"denied-{login}")
        await app.deliver(event, payload, delivery_id=f"denied-{login}")
        await app.drain()
        fake_github.state.repos[REPO].issues[number].labels.clear()
    assert await projects(app) == []
    replies = comments_on(fake_github, number)
    assert [r.split("\n")[0] for r in replies] == [
        NOT_ALLOWED.format(user="reader", label="ai-orchestrator"),
        NOT_ALLOWED.format(user="triager", label="ai-orchestrator"),
    ]


async def test_label_added_by_a_bot_is_ignored(app: RunningApp, fake_github: FakeGitHub) -> None:
    _, opened = fake_github.person_opens_issue("octocat", "Build it", "")
    event, payload = fake_github.person_labels_issue(
        "octocat", int(opened["issue"]["number"]), "ai-orchestrator"
    )
    payload["sender"] = {**payload["sender"], "login": "renovate[bot]", "type": "Bot"}
    await app.deliver(event, payload)
    await app.drain()
    assert await projects(app) == []
    async with app.runtime.sessions() as session:
        count = (await session.exec(select(func.count()).select_from(Job))).one()
    assert count == 1  # the delivery's own job, nothing after it


async def test_a_repository_may_name_its_own_trigger_label(
    app: RunningApp, fake_github: FakeGitHub
) -> None:
    fake_github.commit_files(
        fake_github.repo,
        "main",
        {".github/ai-orchestrator.yml": "trigger_label: build-me\n"},
        "opts",
    )
    _, first = fake_github.person_opens_issue("octocat", "Not this one", "")
    _, second = fake_github.person_opens_issue("octocat", "Build it", "")
    for number, label in (
        (first["issue"]["number"], "bug"),
        (second["issue"]["number"], "Build-Me"),
    ):
        event, payload = fake_github.person_labels_issue("writer", int(number), label)
        await app.deliver(event, payload)
    await app.drain()
    [project] = await projects(app)
    assert project.issue_number == second["issue"]["number"]
    reads = fake_github.calls("GET", "/repos/{owner}/{repo}/contents/{path}")
    # The options file and the organisation's (a 404: no `.github` repository), read once for
    # both label events.
    assert reads == 2
