"""The dashboard's pages through the real app (in-process, httpx2's ASGI transport): signed
in through the fake GitHub's OAuth endpoints, on projects written as the workers write them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.actions import ACTION_JOB
from bot.web.intake import DELIVERY_JOB
from storage.audit import AuditEntry
from storage.db import transaction
from storage.installations import upsert_installation
from storage.job_table import Job
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.web.dashboard.helpers import (
    DEAD_ERROR,
    dashboard,
    dashboard_settings,
    seed_project,
    sign_in,
)

SECRET_REPO = "octo-org/secret"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
async def app(
    fake_github: FakeGitHub, database_url: str, tmp_path: Path
) -> AsyncIterator[RunningApp]:
    secret = fake_github.add_repo(SECRET_REPO, private=True)  # reader has no role there
    fake_github.add_collaborator(secret, "maintainer", "read")
    settings = dashboard_settings(fake_github, database_url, tmp_path / ".env", admins="octocat")
    async with dashboard(settings, fake_github) as running:
        yield running


async def projects(app: RunningApp, fake: FakeGitHub) -> tuple[int, int]:
    """A project in the readable repository, and one in the private one."""
    sessions = app.runtime.sessions
    return (
        await seed_project(sessions, fake),
        await seed_project(sessions, fake, repo=SECRET_REPO, issue=9),
    )


async def test_signed_out_the_front_door_offers_sign_in(app: RunningApp) -> None:
    home = await app.client.get("/")
    assert home.status_code == 200 and 'href="/login' in home.text
    listed = await app.client.get("/projects")
    assert listed.status_code == 401 and "Sign in with GitHub" in listed.text
    assert "script-src 'self'" in listed.headers["content-security-policy"]


async def test_the_list_shows_only_projects_the_reader_can_read(
    app: RunningApp, fake_github: FakeGitHub
) -> None:
    mine, hidden = await projects(app, fake_github)
    await sign_in(app.client, fake_github, "reader")
    page = await app.client.get("/projects")
    assert page.status_code == 200
    assert f'href="/projects/{mine}"' in page.text and f"/projects/{hidden}" not in page.text
    assert "1 / 2" in page.text  # phases done of total
    data = (await app.client.get("/projects", params={"format": "json"})).json()
    assert [row["id"] for row in data["rows"]] == [mine] and data["total"] == 1
    none = await app.client.get("/projects", params={"status": "done"})
    assert f"/projects/{mine}" not in none.text
    app.client.cookies.clear()
    await sign_in(app.client, fake_github, "maintainer")  # reads both repositories
    both = (await app.client.get("/projects", params={"format": "json"})).json()
    assert sorted(row["id"] for row in both["rows"]) == sorted([mine, hidden])


async def test_the_project_page_for_a_reader(app: RunningApp, fake_github: FakeGitHub) -> None:
    mine, hidden = await projects(app, fake_github)
    await sign_in(app.client, fake_github, "reader")
    page = await app.client.get(f"/projects/{mine}")
    assert page.status_code == 200
    text = page.text
    assert 'data-phase="2" data-state="failed"' in text
    assert f'href="{fake_github.urls.web}/octo-org/hello-world/pull/3"' in text
    assert 'aria-label="Phase dependency graph"' in text and 'aria-label="Cost by agent"' in text
    assert "Orders &lt;script&gt;" in text and "<script>alert" not in text  # the plan, safe
    assert "&lt;img src=x onerror" in text and "<img src=x" not in text  # the PR text's tag
    assert DEAD_ERROR in text and "/pause" in text  # the dead job, the audit log
    assert "/actions" not in text  # a reader gets no buttons
    assert (await app.client.get(f"/projects/{hidden}")).status_code == 404
    assert (await app.client.get("/projects/999")).status_code == 404
    live = await app.client.get(f"/projects/{mine}/live")
    assert live.status_code == 200 and "<html" not in live.text and 'data-phase="1"' in live.text


async def test_a_writer_gets_buttons_and_a_post_queues_the_action(
    app: RunningApp, fake_github: FakeGitHub
) -> None:
    mine, _ = await projects(app, fake_github)
    await sign_in(app.client, fake_github, "writer")
    page = await app.client.get(f"/projects/{mine}")
    assert 'data-action="retry:phase-2"' in page.text and 'data-action="pause"' in page.text
    token = CSRF.search(page.text)
    assert token is not None
    form = {"csrf_token": token[1], "action": "retry", "argument": "phase-2"}
    done = await app.client.post(f"/projects/{mine}/actions", data=form)
    assert done.status_code == 303 and done.headers["location"] == f"/projects/{mine}?queued=retry"
    async with app.runtime.sessions() as session:
        jobs = list(await session.exec(select(Job).where(Job.kind == ACTION_JOB)))
    assert [(job.project_id, job.args.get("action")) for job in jobs] == [(mine, "retry")]


async def test_posts_without_the_token_or_by_a_reader_answer_403(
    app: RunningApp, fake_github: FakeGitHub
) -> None:
    mine, _ = await projects(app, fake_github)
    await sign_in(app.client, fake_github, "reader")
    bare = await app.client.post(f"/projects/{mine}/actions", data={"action": "abort"})
    assert bare.status_code == 403
    token = CSRF.search((await app.client.get("/projects")).text)
    assert token is not None
    forged = {"csrf_token": token[1], "action": "abort"}
    assert (await app.client.post(f"/projects/{mine}/actions", data=forged)).status_code == 403
    async with app.runtime.sessions() as session:
        assert not list(await session.exec(select(Job).where(Job.kind == ACTION_JOB)))


async def test_costs_cache_and_recommendations_render(
    app: RunningApp, fake_github: FakeGitHub
) -> None:
    await projects(app, fake_github)
    await sign_in(app.client, fake_github, "reader")
    costs = await app.client.get("/costs")
    assert costs.status_code == 200 and 'aria-label="Spend per day by model"' in costs.text
    assert "gpt-test" in costs.text and "octo-org/secret" not in costs.text
    spend = (await app.client.get("/costs", params={"format": "json"})).json()
    assert spend["total_nanousd"] == 6 * 10**7  # the readable project's three calls
    cache = await app.client.get("/cache")
    assert cache.status_code == 200 and 'aria-label="Hit rate by stage"' in cache.text
    advice = await app.client.get("/recommendations")
    assert advice.status_code == 200


async def test_operators_see_deliveries_and_replay_one(
    app: RunningApp, fake_github: FakeGitHub
) -> None:
    opened = fake_github.person_opens_issue("octocat", "Hello")
    delivered = await app.deliver(*opened, delivery_id="d-1")
    assert delivered.status_code == 202
    await sign_in(app.client, fake_github, "reader")
    assert (await app.client.get("/operator/deliveries")).status_code == 403
    app.client.cookies.clear()  # another browser
    await sign_in(app.client, fake_github, "octocat")
    page = await app.client.get("/operator/deliveries")
    assert page.status_code == 200 and "d-1" in page.text
    token, nonce = CSRF.search(page.text), re.search(r'name="nonce" value="([^"]+)"', page.text)
    assert token is not None and nonce is not None
    form = {"csrf_token": token[1], "nonce": nonce[1]}
    for _ in range(2):  # a double click queues one replay
        replayed = await app.client.post("/operator/deliveries/d-1/replay", data=form)
        assert replayed.status_code == 303
    async with app.runtime.sessions() as session:
        jobs = list(await session.exec(select(Job).where(Job.kind == DELIVERY_JOB)))
        audit = list(await session.exec(select(AuditEntry).order_by(col(AuditEntry.id))))
    assert len(jobs) == 2  # the intake's, and the replay
    assert [(a.actor, a.command, a.argument, a.location) for a in audit] == [
        ("octocat", "replay", "d-1", "dashboard")
    ]
    assert (await app.client.get("/operator/jobs", params={"status": "queued"})).status_code == 200
    async with transaction(app.runtime.sessions) as session:
        account = {"login": "octo-org", "type": "Organization"}
        await upsert_installation(
            session, {"installation": {"id": fake_github.installation_id, "account": account}}
        )
    installs = await app.client.get("/operator/installations")
    assert installs.status_code == 200 and "octo-org" in installs.text
