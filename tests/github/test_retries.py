"""bot.github.retry: requests safe to repeat ride out GitHub's 5xx and dropped connections
inside the client; a POST never is repeated; waits are GitHub's `retry-after` when it sends one.

Waits are recorded (`github_sleeps`), not slept.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import gidgethub
import httpx2
import pytest

from bot.github.client import GitHubApp, GitHubClient, RetryPolicy
from bot.queue.worker import JobRegistry, Worker
from storage.db import SessionMaker, transaction
from storage.jobs import Job, JobStatus, NewJob, enqueue, load_job
from tests.fakegithub import FakeGitHub

ISSUE = "/repos/{owner}/{repo}/issues/{issue_number}"
COMMENTS = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
REPO: dict[str, str | int] = {"owner": "octo-org", "repo": "hello-world"}
SERVER_ERROR = {"message": "Server Error"}
TRIES = RetryPolicy().tries


def opened_issue(fake: FakeGitHub) -> dict[str, str | int]:
    _, event = fake.person_opens_issue("writer", "Add a greeting", "Say hello.")
    return {**REPO, "issue_number": int(event["issue"]["number"])}


async def test_two_gets_answered_502_succeed_on_the_third_try(
    fake_github: FakeGitHub, gh: GitHubClient, github_sleeps: list[float]
) -> None:
    issue = opened_issue(fake_github)
    fake_github.inject("GET", ISSUE, 502, json={"message": "Bad Gateway"}, times=2)
    found = await gh.getitem(ISSUE, issue)
    assert found["number"] == issue["issue_number"]
    assert [r.status for r in fake_github.requests_to("GET", ISSUE)] == [502, 502, 200]
    # Jittered exponential backoff: about 1 s, then about 2 s (each plus up to 1 s of jitter).
    first, second = github_sleeps
    assert 1 <= first <= 2 and 2 <= second <= 3


async def test_a_503_with_retry_after_is_retried_after_that_long(
    fake_github: FakeGitHub, gh: GitHubClient, github_sleeps: list[float]
) -> None:
    issue = opened_issue(fake_github)
    fake_github.inject(
        "GET", ISSUE, 503, json={"message": "Unavailable"}, headers={"retry-after": "2"}
    )
    await gh.getitem(ISSUE, issue)
    assert github_sleeps == [2.0]
    assert fake_github.calls("GET", ISSUE) == 2


async def test_a_post_answered_500_is_not_repeated(
    fake_github: FakeGitHub, gh: GitHubClient, github_sleeps: list[float]
) -> None:
    """GitHub may have made the comment before it failed: only the job, which can look for
    it, may send the POST again."""
    issue = opened_issue(fake_github)
    fake_github.inject("POST", COMMENTS, 500, json=SERVER_ERROR, applied=True)
    with pytest.raises(gidgethub.GitHubBroken):
        await gh.post(COMMENTS, issue, data={"body": "Hello"})
    assert fake_github.calls("POST", COMMENTS) == 1
    assert github_sleeps == []
    assert [c.body for c in fake_github.comments_on(int(issue["issue_number"]))] == ["Hello"]


async def test_a_patch_answered_502_is_repeated(
    fake_github: FakeGitHub, gh: GitHubClient, github_sleeps: list[float]
) -> None:
    issue = opened_issue(fake_github)
    fake_github.inject("PATCH", ISSUE, 502, json={"message": "Bad Gateway"}, applied=True)
    edited = await gh.patch(ISSUE, issue, data={"title": "Add a warm greeting"})
    assert edited["title"] == "Add a warm greeting"
    assert fake_github.calls("PATCH", ISSUE) == 2 and len(github_sleeps) == 1


async def test_out_of_tries_the_last_answer_is_raised(
    fake_github: FakeGitHub, gh: GitHubClient, github_sleeps: list[float]
) -> None:
    issue = opened_issue(fake_github)
    fake_github.inject("GET", ISSUE, 500, json=SERVER_ERROR, times=TRIES + 1)
    with pytest.raises(gidgethub.GitHubBroken):
        await gh.getitem(ISSUE, issue)
    assert fake_github.calls("GET", ISSUE) == TRIES
    assert len(github_sleeps) == TRIES - 1 and sum(github_sleeps) <= 11  # "about ten seconds"


async def test_a_retry_after_too_long_to_wait_is_left_to_the_queue(
    fake_github: FakeGitHub, gh: GitHubClient, github_sleeps: list[float]
) -> None:
    issue = opened_issue(fake_github)
    fake_github.inject("GET", ISSUE, 503, json=SERVER_ERROR, headers={"retry-after": "600"})
    with pytest.raises(gidgethub.GitHubBroken):
        await gh.getitem(ISSUE, issue)
    assert fake_github.calls("GET", ISSUE) == 1 and github_sleeps == []


@pytest.mark.parametrize("status", [404, 422])
async def test_a_4xx_is_not_repeated(
    fake_github: FakeGitHub, gh: GitHubClient, github_sleeps: list[float], status: int
) -> None:
    issue = opened_issue(fake_github)
    fake_github.inject("PATCH", ISSUE, status, json={"message": "No"})
    with pytest.raises(gidgethub.BadRequest):
        await gh.patch(ISSUE, issue, data={"title": "x"})
    assert fake_github.calls("PATCH", ISSUE) == 1 and github_sleeps == []


async def test_the_etag_cache_holds_across_a_retry(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    """The retry repeats gidgethub's conditional request: a 304 is still served from cache."""
    issue = opened_issue(fake_github)
    first = await gh.getitem(ISSUE, issue)
    fake_github.inject("GET", ISSUE, 502, json={"message": "Bad Gateway"})
    assert await gh.getitem(ISSUE, issue) == first
    sent = fake_github.requests_to("GET", ISSUE)
    assert [r.status for r in sent] == [200, 502, 304]
    assert sent[2].headers["if-none-match"] == sent[1].headers["if-none-match"]


@pytest.fixture
async def flaky_app(
    fake_github: FakeGitHub, github_sleeps: list[float]
) -> AsyncIterator[tuple[GitHubApp, list[str]]]:
    """An App whose connection drops on the first request to an issue (before GitHub saw it)."""
    dropped: list[str] = []

    async def handle(request: httpx2.Request) -> httpx2.Response:
        if "/issues/" in request.url.path and not dropped:
            dropped.append(request.method)
            raise httpx2.ConnectError("connection reset by peer", request=request)
        return await fake_github.transport.handle_async_request(request)

    async def sleep(seconds: float) -> None:
        github_sleeps.append(seconds)

    transport = httpx2.MockTransport(handle)
    async with httpx2.AsyncClient(transport=transport, base_url=fake_github.api_url) as http:
        app = GitHubApp(
            app_id=fake_github.app_id,
            private_key=fake_github.private_key_pem,
            http=http,
            api_url=fake_github.api_url,
            mutation_spacing=0,
            sleep=sleep,
        )
        yield app, dropped


async def test_a_dropped_connection_is_retried(
    fake_github: FakeGitHub,
    flaky_app: tuple[GitHubApp, list[str]],
    github_sleeps: list[float],
) -> None:
    app, dropped = flaky_app
    issue = opened_issue(fake_github)
    gh = await app.installation_client(fake_github.installation_id)
    assert (await gh.getitem(ISSUE, issue))["number"] == issue["issue_number"]
    assert dropped == ["GET"] and len(github_sleeps) == 1


async def test_a_post_whose_connection_dropped_is_not_repeated(
    fake_github: FakeGitHub,
    flaky_app: tuple[GitHubApp, list[str]],
    github_sleeps: list[float],
) -> None:
    app, dropped = flaky_app
    issue = opened_issue(fake_github)
    gh = await app.installation_client(fake_github.installation_id)
    with pytest.raises(httpx2.ConnectError):
        await gh.post(COMMENTS, issue, data={"body": "Hello"})
    assert dropped == ["POST"] and github_sleeps == []


async def test_retries_happen_inside_one_job_attempt(
    fake_github: FakeGitHub, github_app: GitHubApp, sessions: SessionMaker
) -> None:
    """Two GETs answered 502: the job that sent them is done after its first attempt, with
    no error recorded, rather than failed and requeued."""
    issue = opened_issue(fake_github)
    fake_github.inject("GET", ISSUE, 502, json={"message": "Bad Gateway"}, times=2)

    async def read_issue(job: Job, deps: Any) -> None:
        gh = await github_app.installation_client(fake_github.installation_id)
        await gh.getitem(ISSUE, issue)

    registry = JobRegistry()
    registry.add("read_issue", read_issue)
    async with transaction(sessions) as session:
        job = await enqueue(session, NewJob(kind="read_issue", args={}))
    assert job is not None and job.id is not None
    await Worker(sessions, registry, None).run_once()
    done = await load_job(sessions, job.id)
    assert (done.status, done.attempts, done.last_error) == (JobStatus.DONE, 1, None)
    assert fake_github.calls("GET", ISSUE) == 3
