"""The project page shows every effective option with the file it came from (or "default"),
in HTML and in its JSON, and says so when a project kept no origins."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import col

from bot.options import PlanApproval, RepoOptions
from bot.options_chain import Origin, OriginKind, ResolvedOptions
from bot.status.options import NOT_RECORDED
from storage.db import transaction
from storage.projects import Project
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.options_helpers import ORG_FILE, REPO_FILE
from tests.web.dashboard.helpers import dashboard, dashboard_settings, seed_project, sign_in

ORG = Origin(kind=OriginKind.ORGANISATION, file=ORG_FILE)
OWN = Origin(kind=OriginKind.REPOSITORY, file=REPO_FILE)
RESOLVED = ResolvedOptions(
    options=RepoOptions(
        budget_usd=Decimal("5"), plan_approval=PlanApproval.AUTO, models={"developer": "m-1"}
    ),
    origins={"budget_usd": ORG, "plan_approval": OWN, "models.developer": ORG},
    files=(OWN, ORG),
    problems=(),
)


@pytest.fixture
async def app(
    fake_github: FakeGitHub, database_url: str, tmp_path: Path
) -> AsyncIterator[RunningApp]:
    settings = dashboard_settings(fake_github, database_url, tmp_path / ".env")
    async with dashboard(settings, fake_github) as running:
        yield running


async def project_with(app: RunningApp, fake: FakeGitHub, options: dict[str, object]) -> int:
    project_id = await seed_project(app.runtime.sessions, fake)
    async with transaction(app.runtime.sessions) as session:
        changed = update(Project).where(col(Project.id) == project_id).values(options=options)
        await session.exec(changed)
    return project_id


async def test_the_project_page_shows_where_each_option_came_from(
    app: RunningApp, fake_github: FakeGitHub
) -> None:
    project_id = await project_with(app, fake_github, RESOLVED.snapshot())
    await sign_in(app.client, fake_github, "reader")
    page = await app.client.get(f"/projects/{project_id}")
    assert page.status_code == 200
    text = page.text
    assert '<tr data-option="budget_usd" data-origin="organisation">' in text
    assert f"organisation defaults: <code>{ORG_FILE}</code>" in text
    assert '<tr data-option="plan_approval" data-origin="repository">' in text
    assert f"this repository: <code>{REPO_FILE}</code>" in text
    assert '<tr data-option="models.developer" data-origin="organisation">' in text
    assert '<tr data-option="ci.grace_seconds" data-origin="default">' in text
    data = (await app.client.get(f"/projects/{project_id}", params={"format": "json"})).json()
    rows = {row["name"]: row for row in data["options"]}
    assert rows["budget_usd"] == {"name": "budget_usd", "value": "5", "kind": "organisation",
                                  "file": ORG_FILE}  # fmt: skip
    assert rows["max_phases"] == {"name": "max_phases", "value": "12", "kind": "default",
                                  "file": None}  # fmt: skip
    assert len(rows) == len(RepoOptions.model_fields) - 1 + 4  # `ci` as its four keys


async def test_a_project_without_origins_says_so(app: RunningApp, fake_github: FakeGitHub) -> None:
    project_id = await project_with(app, fake_github, RepoOptions().model_dump(mode="json"))
    await sign_in(app.client, fake_github, "reader")
    page = await app.client.get(f"/projects/{project_id}")
    assert page.status_code == 200 and NOT_RECORDED in page.text
    assert "data-option=" not in page.text
