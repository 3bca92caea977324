"""The dashboard under test: settings with the fake GitHub's OAuth client, sign-in through
the fake's OAuth endpoints, and projects written to the database as the workers write them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx2
from pydantic import SecretStr

from bot.settings import Settings
from storage.audit import AuditEntryCreate, Outcome, record_command
from storage.db import SessionMaker, transaction
from storage.job_table import Job, JobStatus
from storage.ledger import record_call
from storage.projects import Project, ProjectStatus
from storage.states import PhaseState, ProjectStep
from storage.workflow import Phase
from tests.appfixtures import settings_for
from tests.apphelpers import RunningApp, running_app
from tests.fakegithub import FakeGitHub

PUBLIC_URL = "http://dashboard.test"
SESSION_SECRET = "dashboard-test-session-secret-0123456789abcdef"
PLAN = {
    "architecture": {
        "system_overview": "Orders <script>alert('plan')</script> and invoices.",
        "technology_stack": [{"area": "backend", "choice": "Python"}],
        "components": [],
        "coding_standards": ["type hints"],
    },
    "phases": [
        {"id": 1, "name": "Models", "description": "Records.", "dependencies": []},
        {"id": 2, "name": "API", "description": "Routes.", "dependencies": [1]},
    ],
    "features": [],
}
DEAD_ERROR = "GitHub answered 422: Validation Failed"


def dashboard_settings(
    fake: FakeGitHub,
    database_url: str,
    env_file: Path,
    *,
    public_url: str = PUBLIC_URL,
    admins: str = "",
) -> Settings:
    """The test app's settings, with sign-in set up as setup mode leaves it."""
    return settings_for(fake, database_url, env_file).model_copy(
        update={
            "public_url": public_url,
            "github_web_url": fake.urls.web,
            "github_client_id": fake.app.client_id,
            "github_client_secret": SecretStr(fake.app.client_secret),
            "session_secret": SecretStr(SESSION_SECRET),
            "dashboard_admins": admins,
        }
    )


@asynccontextmanager
async def dashboard(settings: Settings, fake: FakeGitHub) -> AsyncIterator[RunningApp]:
    """The app (jobs stay queued) and a client on its public address."""
    async with fake.client() as http, running_app(settings, http, workflow=False) as app:
        transport = httpx2.ASGITransport(app=app.app)
        async with httpx2.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
            yield RunningApp(app.app, client, settings, workflow=False)


async def sign_in(client: httpx2.AsyncClient, fake: FakeGitHub, login: str) -> None:
    """`/login`, the person authorizes the App on the fake GitHub, the callback."""
    start = await client.get("/login")
    assert start.status_code == 302, start.text
    callback = urlsplit(fake.person_authorizes(login, start.headers["location"]))
    done = await client.get(f"{callback.path}?{callback.query}")
    assert done.status_code in (302, 303), done.text


def _project(fake: FakeGitHub, repo: str, issue: int, status: ProjectStatus) -> Project:
    owner, name = repo.split("/")
    return Project(
        installation_id=fake.installation_id,
        repo_id=fake.get_repo(repo).id,
        owner=owner,
        repo=name,
        issue_number=issue,
        issue_title=f"Back office {issue}",
        started_by="writer",
        status=status,
        step=ProjectStep.PHASES,
        plan=PLAN,
        budget_nanousd=10 * 10**9,
    )


def _phases(project_id: int) -> list[Phase]:
    return [
        Phase(project_id=project_id, number=1, name="Models", state=PhaseState.MERGED,
              pr_number=2, revisions=1, ci_rounds=[{"sha": "a", "conclusion": "failure"}]),
        Phase(project_id=project_id, number=2, name="API", depends_on=[1],
              state=PhaseState.FAILED, pr_number=3, error="the validator failed it twice",
              pr_body="## What\n\nRoutes <img src=x onerror=alert(1)>"),
    ]  # fmt: skip


async def seed_project(
    sessions: SessionMaker,
    fake: FakeGitHub,
    *,
    repo: str = "octo-org/hello-world",
    issue: int = 1,
    status: ProjectStatus = ProjectStatus.RUNNING,
) -> int:
    """A project two phases in (one merged, one failed), with ledger rows, an audit row and a
    dead job, as the workflow leaves them; returns its id."""
    now = datetime.now(UTC)
    async with transaction(sessions) as session:
        project = _project(fake, repo, issue, status)
        session.add(project)
        await session.flush()
        assert project.id is not None
        session.add_all(_phases(project.id))
        for i, (role, phase) in enumerate([("developer", 1), ("validator", 1), ("developer", 2)]):
            await record_call(
                session, project_id=project.id, phase=phase, role=role, step=f"{role}.step",
                cache_key=None, provider="openai", model="gpt-test", input_tokens=1000 * (i + 1),
                output_tokens=200, cached_input_tokens=0, cache_write_tokens=0,
                cost_nanousd=(i + 1) * 10**7, provider_cache_saved_nanousd=0, latency_ms=5,
                cache_hit=False, now=now - timedelta(minutes=10 - i),
            )  # fmt: skip
        entry = AuditEntryCreate(
            project_id=project.id, repository=repo, actor="writer", command="pause",
            location=f"issue #{issue}", outcome=Outcome.DONE, result="paused",
        )  # fmt: skip
        await record_command(session, entry)
        session.add(
            Job(kind="phase_code", project_id=project.id, status=JobStatus.DEAD,
                attempts=5, last_error=DEAD_ERROR, finished_at=now)
        )  # fmt: skip
    return project.id
