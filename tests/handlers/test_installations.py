"""`installation` and `installation_repositories` keep the installations table current and give
newly installed repositories the app's labels."""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest
from sqlmodel import select

from bot.labels import (
    ENSURE_LABELS,
    TEMPLATE_COLOR,
    TRIGGER_COLOR,
    TRIGGER_DESCRIPTION,
)
from bot.logcontext import ContextFilter
from storage.installations import Installation
from storage.jobs import Job, JobStatus
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.fakegithub.model import Label
from tests.githubdata import webhook_examples


def example(event: str, action: str) -> dict[str, Any]:
    return next(p for p in webhook_examples()[event] if p.get("action") == action)


async def installation(app: RunningApp, installation_id: int) -> Installation | None:
    async with app.runtime.sessions() as session:
        return await session.get(Installation, installation_id)


async def test_created_suspended_unsuspended_deleted(app: RunningApp) -> None:
    created = example("installation", "created")
    installation_id = created["installation"]["id"]
    await app.deliver("installation", created)
    await app.drain()
    row = await installation(app, installation_id)
    assert row is not None and row.active
    assert row.account == created["installation"]["account"]["login"]
    assert row.repositories == sorted(r["full_name"] for r in created["repositories"])

    for action, active in (("suspend", False), ("unsuspend", True), ("deleted", False)):
        payload = example("installation", action)
        payload["installation"]["id"] = installation_id
        await app.deliver("installation", payload)
        await app.drain()
        row = await installation(app, installation_id)
        assert row is not None and row.active is active, action
    assert row is not None and row.deleted_at is not None


async def test_repositories_added_and_removed(app: RunningApp) -> None:
    created = example("installation", "created")
    installation_id = created["installation"]["id"]
    created["repositories"] = [{"id": 1, "name": "a", "full_name": "o/a", "private": False}]
    await app.deliver("installation", created)
    added = example("installation_repositories", "added")
    added["installation"] = created["installation"]
    added["repositories_added"] = [{"id": 2, "name": "b", "full_name": "o/b", "private": False}]
    removed = copy.deepcopy(added)
    removed["action"] = "removed"
    removed["repositories_added"] = []
    removed["repositories_removed"] = [{"id": 1, "name": "a", "full_name": "o/a", "private": False}]
    await app.deliver("installation_repositories", added)
    await app.drain()
    row = await installation(app, installation_id)
    assert row is not None and row.repositories == ["o/a", "o/b"]
    await app.deliver("installation_repositories", removed)
    await app.drain()
    row = await installation(app, installation_id)
    assert row is not None and row.repositories == ["o/b"]


# ---- the app's labels on newly installed repositories ----------------------------------------

LABELS = "/repos/{owner}/{repo}/labels"
WANTED = ["ai-orchestrator", "template:web_app", "template:api_service", "template:data_pipeline"]


def acme(fake: FakeGitHub) -> None:
    fake.add_user("acme", type="Organization")
    fake.add_repo("acme/widgets")
    fake.add_repo("acme/gadgets")


def labels_of(fake: FakeGitHub, full_name: str) -> dict[str, tuple[str, str | None]]:
    return {x.name: (x.color, x.description) for x in fake.get_repo(full_name).labels.values()}


async def label_jobs(app: RunningApp) -> list[Job]:
    async with app.runtime.sessions() as session:
        return list((await session.exec(select(Job).where(Job.kind == ENSURE_LABELS))).all())


async def test_installation_created_creates_the_labels_once(
    workflow_app: RunningApp, fake_github: FakeGitHub
) -> None:
    acme(fake_github)
    _, created = fake_github.person_installs_app("octocat", "acme")
    await workflow_app.deliver(*created)
    await workflow_app.settle(fake_github)
    for name in ("acme/widgets", "acme/gadgets"):
        labels = labels_of(fake_github, name)
        assert list(labels) == WANTED
        color, description = labels["ai-orchestrator"]
        assert (color, description) == (TRIGGER_COLOR, TRIGGER_DESCRIPTION)
        assert labels["template:api_service"] == (
            TEMPLATE_COLOR,
            "With ai-orchestrator: plan from the REST API Service template",
        )
    assert fake_github.calls("POST", LABELS) == 8
    assert fake_github.calls("GET", LABELS) == 2

    await workflow_app.deliver(*created)  # a second installation event, a new delivery
    await workflow_app.settle(fake_github)
    assert fake_github.calls("POST", LABELS) == 8  # nothing created again
    assert fake_github.calls("GET", LABELS) == 4  # one read per repository
    jobs = await label_jobs(workflow_app)
    assert [(j.status, j.attempts) for j in jobs] == [(JobStatus.DONE, 1)] * 4


async def test_a_label_the_repository_has_is_not_created(
    workflow_app: RunningApp, fake_github: FakeGitHub
) -> None:
    acme(fake_github)
    fake_github.get_repo("acme/widgets").labels["ai-orchestrator"] = Label(
        id=fake_github.state.next_id(), name="AI-Orchestrator", color="000000"
    )
    _, created = fake_github.person_installs_app("octocat", "acme", repositories=["widgets"])
    await workflow_app.deliver(*created)
    await workflow_app.settle(fake_github)
    posted = [r.json["name"] for r in fake_github.requests_to("POST", LABELS)]
    assert posted == WANTED[1:]  # names compare without case, as on GitHub
    assert labels_of(fake_github, "acme/widgets")["AI-Orchestrator"] == ("000000", None)
    assert "ai-orchestrator" not in labels_of(fake_github, "acme/gadgets")


async def test_repositories_added_get_the_labels(
    workflow_app: RunningApp, fake_github: FakeGitHub
) -> None:
    acme(fake_github)
    installation, created = fake_github.person_installs_app(
        "octocat", "acme", repositories=["widgets"]
    )
    await workflow_app.deliver(*created)
    await workflow_app.settle(fake_github)
    mark = len(fake_github.requests)
    added = fake_github.person_changes_installed_repos("octocat", installation.id, add=["gadgets"])
    await workflow_app.deliver(*added)
    await workflow_app.settle(fake_github)
    paths = {r.path for r in fake_github.requests[mark:] if r.template == LABELS}
    assert paths == {"/repos/acme/gadgets/labels"}
    assert list(labels_of(fake_github, "acme/gadgets")) == WANTED


async def test_a_create_that_lost_a_race_counts_as_present(
    workflow_app: RunningApp, fake_github: FakeGitHub
) -> None:
    acme(fake_github)
    exists = {"resource": "Label", "code": "already_exists", "field": "name"}
    fake_github.inject(
        "POST", LABELS, 422, json={"message": "Validation Failed", "errors": [exists]}
    )
    _, created = fake_github.person_installs_app("octocat", "acme", repositories=["widgets"])
    await workflow_app.deliver(*created)
    await workflow_app.settle(fake_github)
    assert list(labels_of(fake_github, "acme/widgets")) == WANTED[1:]  # the first "existed"
    assert fake_github.calls("POST", LABELS) == 4
    assert [j.status for j in await label_jobs(workflow_app)] == [JobStatus.DONE]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (403, {"message": "Resource not accessible by integration"}),
        (422, {"message": "Validation Failed", "errors": [{"code": "custom", "message": "no"}]}),
    ],
)
async def test_a_repository_that_refuses_labels_is_logged_once(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    caplog: pytest.LogCaptureFixture,
    status: int,
    body: dict[str, Any],
) -> None:
    acme(fake_github)
    fake_github.inject("POST", LABELS, status, json=body, times=10)
    _, created = fake_github.person_installs_app("octocat", "acme")
    with caplog.at_level(logging.WARNING, logger="bot.labels"):
        await workflow_app.deliver(*created)
        await workflow_app.settle(fake_github)
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.labels"]
    assert len(warnings) == 2  # one per repository, not one per label
    assert all("labels not created in acme/" in w and f"answered {status}" in w for w in warnings)
    assert fake_github.calls("POST", LABELS) == 2  # each stopped at its first refusal
    jobs = await label_jobs(workflow_app)
    assert [(j.status, j.attempts, j.last_error) for j in jobs] == [(JobStatus.DONE, 1, None)] * 2


async def test_an_installation_gone_before_its_labels_is_logged_once(
    workflow_app: RunningApp, fake_github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    acme(fake_github)
    installation, created = fake_github.person_installs_app(
        "octocat", "acme", repositories=["widgets"]
    )
    fake_github.person_uninstalls_app("octocat", installation.id)  # delivered later
    caplog.handler.addFilter(ContextFilter())
    with caplog.at_level(logging.WARNING, logger="bot.labels"):
        await workflow_app.deliver(*created)
        await workflow_app.settle(fake_github)
    [warning] = [r for r in caplog.records if r.name == "bot.labels"]
    assert warning.getMessage() == (
        "labels not created in acme/widgets: GitHub answered 404 Not Found"
        " (the app works without them)"
    )
    assert warning.__dict__["repository"] == "acme/widgets"
    assert fake_github.calls("GET", LABELS) == 0
    assert [j.status for j in await label_jobs(workflow_app)] == [JobStatus.DONE]
