"""Helpers for tests of sign-in, the access rules and the REST API: the app with the App's
OAuth client on the fake GitHub, a person signed in through the fake's OAuth endpoints, and
projects in repositories some people can read and others cannot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest
from pydantic import SecretStr

from bot.settings import Settings
from storage.db import transaction
from storage.projects import Project, ProjectCreate, create_project
from tests.appfixtures import recorder, scripted_agents, settings_for
from tests.apphelpers import RunningApp, running_app
from tests.fakegithub import WEB_URL, FakeGitHub
from tests.fakegithub.model import Repo
from tests.scriptedmodel.runtime import FakeClock

SESSION_SECRET = "a-session-secret-for-the-tests-0123456789"
PRIVATE_REPO = "octo-org/private-plans"  # only octocat (admin) can read it


def access_settings(fake: FakeGitHub, database_url: str, env_file: Path) -> Settings:
    """The app's settings with the App's OAuth client, on the fake's web host. No PUBLIC_URL:
    the test client talks http://testserver, so cookies are not marked Secure."""
    base = settings_for(fake, database_url, env_file)
    return base.model_copy(
        update={
            "github_client_id": fake.app.client_id,
            "github_client_secret": SecretStr(fake.app.client_secret),
            "github_web_url": WEB_URL,
            "session_secret": SecretStr(SESSION_SECRET),
            "dashboard_admins": "octocat",
            "public_url": None,
        }
    )


def private_repo(fake: FakeGitHub) -> Repo:
    found = fake.state.repo(*PRIVATE_REPO.split("/"))
    if found is not None:
        return found
    repo = fake.add_repo(PRIVATE_REPO, private=True)
    fake.add_collaborator(repo, "octocat", "admin")
    return repo


@pytest.fixture
def access_app_settings(fake_github: FakeGitHub, database_url: str, tmp_path: Path) -> Settings:
    private_repo(fake_github)
    return access_settings(fake_github, database_url, tmp_path / ".env")


@pytest.fixture
async def access_app(
    access_app_settings: Settings,
    fake_github: FakeGitHub,
    model_http: httpx2.AsyncClient,
    clock: FakeClock,
    github_sleeps: list[float],
) -> AsyncIterator[RunningApp]:
    """The app, its worker's registry with every job kind (the action jobs among them)."""
    factory = scripted_agents(model_http, clock)
    async with (
        fake_github.client() as http,
        running_app(
            access_app_settings, http, agent_factory=factory, github_sleep=recorder(github_sleeps)
        ) as running,
    ):
        yield running


async def sign_in(app: RunningApp, fake: FakeGitHub, login: str, *, next_path: str = "/") -> None:
    """Signs `login` in through the fake GitHub's OAuth endpoints; the session cookie stays in
    `app.client`'s jar."""
    started = await app.client.get("/login", params={"next": next_path})
    assert started.status_code == 302, started.text
    back = httpx2.URL(fake.person_authorizes(login, started.headers["location"]))
    answered = await app.client.get(back.path, params=dict(back.params))
    assert answered.status_code == 303, answered.text
    assert answered.headers["location"] == next_path


async def add_project(
    app: RunningApp, fake: FakeGitHub, *, repo: str = "octo-org/hello-world", title: str = "Build"
) -> Project:
    """A project for a new issue of `repo` (opened by octocat), as the intake would store it."""
    event, payload = fake.person_opens_issue("octocat", title, "The brief.", repo=repo)
    assert event == "issues"
    found = fake.state.repo(*repo.split("/"))
    assert found is not None
    number = int(payload["issue"]["number"])
    data = ProjectCreate(
        installation_id=fake.installation_id,
        repo_id=found.id,
        owner=found.owner.login,
        repo=found.name,
        issue_number=number,
        issue_title=title,
        started_by="octocat",
    )
    async with transaction(app.runtime.sessions) as session:
        project, _ = await create_project(session, data)
    return project
