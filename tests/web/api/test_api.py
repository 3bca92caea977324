"""The REST API's rules on every endpoint: a bad token is 401, someone else's project 404, a
reader's write 403, all in one error shape; lists paginate with `Link`; tokens are looked up
by a hash and never stored; `POST /projects` labels the issue in the caller's name."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlmodel import select

from bot.web.api.endpoints import ENDPOINTS
from bot.web.api.routing import Endpoint
from storage.audit import AuditEntry
from storage.jobs import Job
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.web.signin import PRIVATE_REPO, add_project

API = "/api/v1"
WRITES = [e for e in ENDPOINTS if e.writes]
BODIES: dict[str, dict[str, Any]] = {
    "/projects": {"repository": "octo-org/hello-world", "issue_number": 1},
    "/cache/invalidate": {"project_id": 0, "key": "phase-1-generated_code"},
    "/docs/{project_id}/export": {"format": "json"},
}


def _path(endpoint: Endpoint, project_id: int) -> str:
    return API + endpoint.path.replace("{project_id}", str(project_id))


def _body(endpoint: Endpoint, project_id: int) -> dict[str, Any] | None:
    if endpoint.method != "POST":
        return None
    body = dict(BODIES.get(endpoint.path, {}))
    if "project_id" in body:
        body["project_id"] = project_id
    return body


async def _call(app: RunningApp, endpoint: Endpoint, token: str | None, project_id: int) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    query = {"project_id": str(project_id)} if endpoint.path.startswith("/cache/") else {}
    if endpoint.method == "GET":
        return await app.client.get(_path(endpoint, project_id), headers=headers, params=query)
    body = _body(endpoint, project_id)
    return await app.client.post(_path(endpoint, project_id), headers=headers, json=body)


def _error(answer: Any, status: int) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"status", "code", "message", "errors"} and body["status"] == status


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
async def test_a_bad_or_missing_token_is_401(
    access_app: RunningApp, fake_github: FakeGitHub, endpoint: Endpoint
) -> None:
    project = await add_project(access_app, fake_github)
    assert project.id is not None
    for token in (None, "ghu_not-a-token-github-knows", "x" * 300):
        answer = await _call(access_app, endpoint, token, project.id)
        _error(answer, 401)
        assert answer.headers["www-authenticate"].startswith("Bearer")


SCOPED = [e for e in ENDPOINTS if "{project_id}" in e.path or e.path.startswith("/cache/")]


@pytest.mark.parametrize("endpoint", SCOPED, ids=lambda e: f"{e.method} {e.path}")
async def test_someone_elses_project_is_404(
    access_app: RunningApp, fake_github: FakeGitHub, endpoint: Endpoint
) -> None:
    hidden = await add_project(access_app, fake_github, repo=PRIVATE_REPO)
    assert hidden.id is not None
    token = fake_github.user_token("writer")
    _error(await _call(access_app, endpoint, token, hidden.id), 404)
    _error(await _call(access_app, endpoint, token, hidden.id + 1000), 404)
    # the owner sees it
    seen = await _call(access_app, endpoint, fake_github.user_token("octocat"), hidden.id)
    assert seen.status_code < 300, seen.text


@pytest.mark.parametrize("endpoint", WRITES, ids=lambda e: f"{e.method} {e.path}")
async def test_a_readers_write_is_403_and_changes_nothing(
    access_app: RunningApp, fake_github: FakeGitHub, endpoint: Endpoint
) -> None:
    project = await add_project(access_app, fake_github)
    assert project.id is not None
    _error(await _call(access_app, endpoint, fake_github.user_token("reader"), project.id), 403)
    async with access_app.runtime.sessions() as session:
        kinds = [job.kind for job in (await session.exec(select(Job))).all()]
    assert "action" not in kinds
    assert fake_github.issue(project.issue_number).labels == []


@pytest.mark.parametrize(
    ("path", "action", "body", "argument"),
    [
        ("/retry", "retry", {"phase": 2}, "phase-2"),
        ("/retry", "retry", {}, ""),
        ("/approve", "approve", None, ""),
        ("/pause", "pause", None, ""),
        ("/resume", "resume", None, ""),
        ("/abort", "abort", {}, ""),
    ],
)
async def test_a_writers_action_is_queued_and_audited_from_the_api(
    access_app: RunningApp,
    fake_github: FakeGitHub,
    path: str,
    action: str,
    body: dict[str, Any] | None,
    argument: str,
) -> None:
    project = await add_project(access_app, fake_github)
    headers = {"authorization": f"Bearer {fake_github.user_token('writer')}"}
    answer = await access_app.client.post(
        f"{API}/projects/{project.id}{path}", headers=headers, json=body
    )
    assert answer.status_code == 202, answer.text
    queued = answer.json()
    assert (queued["action"], queued["argument"], queued["status"]) == (action, argument, "queued")

    await access_app.drain()

    async with access_app.runtime.sessions() as session:
        [row] = (await session.exec(select(AuditEntry))).all()
    assert (row.actor, row.command, row.argument, row.location) == (
        "writer",
        action,
        argument,
        "api",
    )
    assert row.job_id == queued["job_id"]


async def test_the_project_list_is_filtered_and_paginated_with_link_headers(
    access_app: RunningApp, fake_github: FakeGitHub
) -> None:
    mine = [await add_project(access_app, fake_github, title=f"P{n}") for n in range(5)]
    await add_project(access_app, fake_github, repo=PRIVATE_REPO)
    headers = {"authorization": f"Bearer {fake_github.user_token('reader')}"}

    first = await access_app.client.get(f"{API}/projects?per_page=2", headers=headers)
    assert [p["id"] for p in first.json()] == [mine[4].id, mine[3].id]
    assert first.headers["x-total-count"] == "5"
    links = first.headers["link"]
    assert 'page=2&per_page=2>; rel="next"' in links and 'page=3&per_page=2>; rel="last"' in links
    assert 'rel="prev"' not in links
    last = await access_app.client.get(f"{API}/projects?per_page=2&page=3", headers=headers)
    assert [p["id"] for p in last.json()] == [mine[0].id]
    assert 'rel="next"' not in last.headers["link"]
    bad = await access_app.client.get(f"{API}/projects?per_page=0", headers=headers)
    _error(bad, 422)
    assert bad.json()["errors"][0]["field"] == "query.per_page"


async def test_starting_a_project_labels_the_issue_in_the_callers_name(
    access_app: RunningApp, fake_github: FakeGitHub
) -> None:
    _, payload = fake_github.person_opens_issue("writer", "Build a CLI", "It lists invoices.")
    number = payload["issue"]["number"]
    headers = {"authorization": f"Bearer {fake_github.user_token('writer')}"}
    body = {"repository": "Octo-Org/Hello-World", "issue_number": number}

    answer = await access_app.client.post(f"{API}/projects", headers=headers, json=body)

    assert answer.status_code == 202, answer.text
    assert answer.json() == {
        "repository": "octo-org/hello-world",
        "issue_number": number,
        "label": "ai-orchestrator",
    }
    assert fake_github.issue(number).labels == ["ai-orchestrator"]
    [(event, labeled)] = fake_github.outbox
    assert (event, labeled["action"], labeled["sender"]["login"]) == ("issues", "labeled", "writer")
    [label_call] = fake_github.requests_to(
        "POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels"
    )
    token = headers["authorization"].removeprefix("Bearer ")
    assert label_call.headers["authorization"] == f"token {token}"  # the caller's own token


async def test_the_token_is_checked_once_then_known_by_its_hash(
    access_app: RunningApp, fake_github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = fake_github.user_token("reader")
    headers = {"authorization": f"Bearer {token}"}
    for _ in range(3):
        assert (await access_app.client.get(f"{API}/projects", headers=headers)).status_code == 200
    assert fake_github.calls("GET", "/user") == 1
    cache = access_app.app.state.access.identities
    assert token not in cache and len(list(cache)) == 1
    assert token not in caplog.text


async def test_docs_export_as_markdown_or_json(
    access_app: RunningApp, fake_github: FakeGitHub
) -> None:
    project = await add_project(access_app, fake_github, title="Invoices")
    headers = {"authorization": f"Bearer {fake_github.user_token('reader')}"}
    url = f"{API}/docs/{project.id}/export"
    md = await access_app.client.post(url, headers=headers, json={"format": "md"})
    assert md.headers["content-type"].startswith("text/markdown")
    assert md.text.startswith("# octo-org/hello-world#") and "Invoices" in md.text
    js = await access_app.client.post(url, headers=headers, json={"format": "json"})
    assert js.json()["project_id"] == project.id and js.json()["phases"] == []
    _error(await access_app.client.post(url, headers=headers, json={"format": "pdf"}), 422)


async def test_unknown_paths_and_methods_answer_in_the_error_shape(
    access_app: RunningApp, fake_github: FakeGitHub
) -> None:
    _error(await access_app.client.get(f"{API}/nothing-here"), 404)
    answer = await access_app.client.delete(f"{API}/projects")
    _error(answer, 405)
    assert answer.headers["allow"] == "GET, POST"


async def test_the_openapi_document_describes_every_endpoint(access_app: RunningApp) -> None:
    document = (await access_app.client.get(f"{API}/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    described = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert described == {(e.method, e.path) for e in ENDPOINTS}
    assert "Error" in document["components"]["schemas"]


@pytest.mark.parametrize("raw", ["%C2%B9", "%D9%A3", "0", "99999999999"], ids=repr)
async def test_a_project_id_that_is_not_ascii_digits_is_404(
    access_app: RunningApp, fake_github: FakeGitHub, raw: str
) -> None:
    """Found by schemathesis: "¹" passes `str.isdigit` and then `int` refused it (a 500)."""
    token = fake_github.user_token("octocat")
    headers = {"authorization": f"Bearer {token}"}
    _error(await access_app.client.get(f"{API}/costs/{raw}/analysis", headers=headers), 404)
    _error(await access_app.client.get(f"{API}/projects/{raw}", headers=headers), 404)
