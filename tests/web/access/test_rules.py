"""Who sees which project (GitHub's answer, cached per user) and who may act on it (write
permission asked of GitHub on every action), and what an action does: one job in the
project's line, the slash command's own code, one audit row."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot.actions import ACTION_JOB
from bot.commands.requested import run_action_job
from bot.queue.jobs import build_registry
from bot.web.access import (
    AccessError,
    Forbidden,
    NotFound,
    perform,
    viewer_of,
    visible_project,
    visible_repo_ids,
)
from bot.web.access.viewer import Viewer
from storage.audit import AuditEntry, Outcome
from storage.jobs import Job
from storage.projects import ProjectStatus, get_project
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.web.access.requests import request_for
from tests.web.signin import PRIVATE_REPO, add_project, private_repo, sign_in

PERMISSION = ("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission")
INSTALLATIONS = ("GET", "/user/installations")


async def _signed_in(app: RunningApp, fake: FakeGitHub, login: str) -> Viewer:
    await sign_in(app, fake, login)
    viewer = await viewer_of(request_for(app))
    assert viewer is not None
    return viewer


async def test_a_person_sees_the_repositories_github_says_they_can_read(
    access_app: RunningApp, fake_github: FakeGitHub
) -> None:
    reader = await _signed_in(access_app, fake_github, "reader")
    assert await visible_repo_ids(request_for(access_app), reader) == {fake_github.repo.id}
    access_app.client.cookies.clear()
    admin = await _signed_in(access_app, fake_github, "octocat")
    both = {fake_github.repo.id, private_repo(fake_github).id}
    assert await visible_repo_ids(request_for(access_app), admin) == both


async def test_the_answer_is_cached_per_user_for_a_few_minutes(
    access_app: RunningApp, fake_github: FakeGitHub
) -> None:
    reader = await _signed_in(access_app, fake_github, "reader")
    await visible_repo_ids(request_for(access_app), reader)
    await visible_repo_ids(request_for(access_app), reader)
    assert fake_github.calls(*INSTALLATIONS) == 1
    state = access_app.app.state.access
    assert list(state.visible) == [reader.user_id]


async def test_someone_elses_project_is_not_found(
    access_app: RunningApp, fake_github: FakeGitHub
) -> None:
    hidden = await add_project(access_app, fake_github, repo=PRIVATE_REPO)
    shown = await add_project(access_app, fake_github)
    writer = await _signed_in(access_app, fake_github, "writer")
    assert hidden.id is not None and shown.id is not None

    with pytest.raises(NotFound):
        await visible_project(request_for(access_app), writer, hidden.id)
    with pytest.raises(NotFound):
        await visible_project(request_for(access_app), writer, 987654)
    found = await visible_project(request_for(access_app), writer, shown.id)
    assert found.id == shown.id


async def _jobs(app: RunningApp) -> list[Job]:
    async with app.runtime.sessions() as session:
        statement = select(Job).where(Job.kind == ACTION_JOB).order_by(col(Job.id))
        return list((await session.exec(statement)).all())


async def _audit(app: RunningApp) -> list[AuditEntry]:
    async with app.runtime.sessions() as session:
        return list((await session.exec(select(AuditEntry))).all())


async def test_a_writers_action_is_queued_then_run_by_the_command_and_audited(
    access_app: RunningApp, fake_github: FakeGitHub
) -> None:
    project = await add_project(access_app, fake_github)
    writer = await _signed_in(access_app, fake_github, "writer")

    queued = await perform(request_for(access_app), writer, project, "pause")
    async with access_app.runtime.sessions() as session:
        untouched = await get_project(session, project.id or 0)
    assert untouched is not None and not untouched.paused  # nothing happens in the request
    [job] = await _jobs(access_app)
    assert job.id == queued.job_id and job.project_id == project.id
    assert job.args["login"] == "writer" and job.args["location"] == "dashboard"

    await access_app.drain()

    async with access_app.runtime.sessions() as session:
        paused = await get_project(session, project.id or 0)
    assert paused is not None and paused.status is ProjectStatus.PAUSED
    assert paused.paused_by == "writer"
    [row] = await _audit(access_app)
    assert (row.actor, row.command, row.location, row.job_id) == (
        "writer",
        "pause",
        "dashboard",
        job.id,
    )
    assert row.comment_id is None and row.outcome == "done"


async def test_write_permission_is_asked_of_github_on_every_action(
    access_app: RunningApp, fake_github: FakeGitHub
) -> None:
    project = await add_project(access_app, fake_github)
    writer = await _signed_in(access_app, fake_github, "writer")
    for _ in range(2):
        await perform(request_for(access_app), writer, project, "resume")
    asked = fake_github.requests_to(*PERMISSION)
    assert [r.path.rsplit("/", 2)[1] for r in asked] == ["writer", "writer"]


async def test_a_reader_may_not_act(access_app: RunningApp, fake_github: FakeGitHub) -> None:
    project = await add_project(access_app, fake_github)
    reader = await _signed_in(access_app, fake_github, "reader")
    with pytest.raises(Forbidden):
        await perform(request_for(access_app), reader, project, "abort")
    assert await _jobs(access_app) == []


@pytest.mark.parametrize(
    ("action", "argument"),
    [("explode", ""), ("skip", ""), ("pause", "now"), ("retry", "phase-1\n/abort")],
)
async def test_a_malformed_action_is_refused_before_anything(
    access_app: RunningApp, fake_github: FakeGitHub, action: str, argument: str
) -> None:
    project = await add_project(access_app, fake_github)
    writer = await _signed_in(access_app, fake_github, "writer")
    with pytest.raises(AccessError) as refused:
        await perform(request_for(access_app), writer, project, action, argument=argument)
    assert refused.value.status == 400
    assert fake_github.calls(*PERMISSION) == 0 and await _jobs(access_app) == []


async def test_an_action_job_run_again_does_not_act_twice(
    access_app: RunningApp, fake_github: FakeGitHub
) -> None:
    project = await add_project(access_app, fake_github)
    writer = await _signed_in(access_app, fake_github, "writer")
    await perform(request_for(access_app), writer, project, "abort")
    [job] = await _jobs(access_app)
    deps = access_app.runtime.deps
    await run_action_job(job, deps)
    closed = fake_github.calls("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
    await run_action_job(job, deps)  # its worker died after acting: the re-run
    assert len(await _audit(access_app)) == 1
    again = fake_github.calls("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
    assert again == closed


async def test_an_action_the_queue_gave_up_on_is_audited_as_not_carried_out(
    access_app: RunningApp, fake_github: FakeGitHub
) -> None:
    """Its job died where it could not say so (GitHub failing past the budget): the audit row,
    which the project page and the API show, says the action failed, and why; once only."""
    project = await add_project(access_app, fake_github)
    writer = await _signed_in(access_app, fake_github, "writer")
    await perform(request_for(access_app), writer, project, "pause")
    [job] = await _jobs(access_app)
    job.last_error = "GitHub kept answering with errors for 1 h 1 min: GitHubBroken: Bad Gateway"
    hook = build_registry().on_dead(ACTION_JOB)
    assert hook is not None
    await hook(job, access_app.runtime.deps)
    await hook(job, access_app.runtime.deps)  # told twice (a worker died while telling)
    [row] = await _audit(access_app)
    assert (row.command, row.outcome, row.location, row.job_id) == (
        "pause",
        Outcome.FAILED,
        "dashboard",
        job.id,
    )
    assert row.result == f"`/pause` was not carried out: {job.last_error}"
    async with access_app.runtime.sessions() as session:
        stored = await get_project(session, project.id or 0)
    assert stored is not None and stored.status is not ProjectStatus.PAUSED
