"""bot.github.client: App JWTs, installation tokens, API version, ETags, rate limits, spacing."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable

import gidgethub
import jwt
import pytest

from bot.github.client import GitHubApp, RateLimited, RateLimitPolicy, anonymous_client
from tests.fakegithub import FakeGitHub

ACCESS_TOKENS = "/app/installations/{installation_id}/access_tokens"
COMMENTS = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
ISSUE = "/repos/{owner}/{repo}/issues/{issue_number}"
REPO: dict[str, str | int] = {"owner": "octo-org", "repo": "hello-world"}
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(fake_github: FakeGitHub) -> FakeClock:
    """One clock for the App and the fake, so token expiry agrees on both sides."""
    clock = FakeClock()
    fake_github.clock = clock
    return clock


@pytest.fixture
async def make_app(
    fake_github: FakeGitHub, clock: FakeClock, github_sleeps: list[float]
) -> AsyncIterator[Callable[..., GitHubApp]]:
    async def sleep(seconds: float) -> None:
        github_sleeps.append(seconds)

    async with fake_github.client() as http:

        def make(**options: object) -> GitHubApp:
            settings: dict[str, object] = {"mutation_spacing": 0.0, "clock": clock, "sleep": sleep}
            settings.update(options)
            return GitHubApp(
                app_id=fake_github.app_id,
                private_key=fake_github.private_key_pem,
                http=http,
                api_url=fake_github.api_url,
                **settings,  # type: ignore[arg-type]
            )

        yield make


def issue_number(fake: FakeGitHub) -> int:
    event = fake.person_opens_issue("writer", "Add a greeting", "Say hello.")
    return int(event[1]["issue"]["number"])


# ---- authentication -------------------------------------------------------------------------


def test_jwt_is_rs256_backdated_and_short_lived(
    fake_github: FakeGitHub, github_app: GitHubApp
) -> None:
    before = time.time()
    token = github_app.jwt()
    claims = jwt.decode(token, fake_github.app.keys.public_pem, algorithms=["RS256"])
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert claims["iss"] == str(fake_github.app_id)
    assert before - 61 <= claims["iat"] <= before - 59  # backdated for clock drift
    assert claims["exp"] - time.time() < 600  # under GitHub's ten minutes
    assert claims["exp"] > time.time() + 60


async def test_app_client_authenticates_with_a_jwt(
    fake_github: FakeGitHub, github_app: GitHubApp
) -> None:
    assert (await github_app.app_client().getitem("/app"))["slug"] == "ai-orchestrator"
    assert fake_github.calls("GET", "/app") == 1
    scheme, _, credential = fake_github.requests[-1].headers["authorization"].partition(" ")
    assert scheme.lower() == "bearer"
    assert jwt.decode(credential, fake_github.app.keys.public_pem, algorithms=["RS256"])


async def test_installation_token_is_fetched_once_and_reused(
    fake_github: FakeGitHub, make_app: Callable[..., GitHubApp]
) -> None:
    app = make_app()
    number = issue_number(fake_github)
    for _ in range(3):
        gh = await app.installation_client(fake_github.installation_id)
        await gh.getitem(ISSUE, {**REPO, "issue_number": number})
    assert fake_github.calls("POST", ACCESS_TOKENS) == 1
    token = await app.installation_token(fake_github.installation_id)
    assert token.startswith("ghs_")
    issue_requests = fake_github.requests_to("GET", ISSUE)
    assert {r.headers["authorization"] for r in issue_requests} == {f"token {token}"}


async def test_token_is_refetched_within_a_minute_of_expiry(
    fake_github: FakeGitHub, make_app: Callable[..., GitHubApp], clock: FakeClock
) -> None:
    app = make_app()
    first = await app.installation_token(fake_github.installation_id)
    clock.now += 3600 - 61  # still more than a minute left
    assert await app.installation_token(fake_github.installation_id) == first
    clock.now += 2  # now less than a minute before expires_at
    second = await app.installation_token(fake_github.installation_id)
    assert second != first
    assert fake_github.calls("POST", ACCESS_TOKENS) == 2
    gh = await app.installation_client(fake_github.installation_id)
    assert gh.oauth_token == second


async def test_a_job_client_held_past_expiry_sends_the_refreshed_token(
    fake_github: FakeGitHub, make_app: Callable[..., GitHubApp], clock: FakeClock
) -> None:
    """A long job keeps the client it was handed (guarded, as every project job's is): its
    requests must follow the installation's token, not the one current when the job began."""
    app = make_app()
    gh = (await app.installation_client(fake_github.installation_id)).guarded(_allow)
    await gh.getitem("/repos/{owner}/{repo}", REPO)
    clock.now += 3600  # the first token has expired
    repo = await gh.getitem("/repos/{owner}/{repo}", REPO)
    assert repo["full_name"] == "octo-org/hello-world"
    assert fake_github.calls("POST", ACCESS_TOKENS) == 2
    sent = fake_github.requests_to("GET", "/repos/{owner}/{repo}")
    assert [r.status for r in sent] == [200, 304]  # the ETag cache survives the new token
    assert sent[0].headers["authorization"] != sent[1].headers["authorization"]


async def test_an_unguarded_client_held_past_expiry_sends_the_refreshed_token(
    fake_github: FakeGitHub, make_app: Callable[..., GitHubApp], clock: FakeClock
) -> None:
    app = make_app()
    gh = await app.installation_client(fake_github.installation_id)
    clock.now += 3600
    repo = await gh.getitem("/repos/{owner}/{repo}", REPO)
    assert repo["full_name"] == "octo-org/hello-world"
    assert fake_github.calls("POST", ACCESS_TOKENS) == 2


async def _allow() -> None:
    return None


async def test_concurrent_callers_share_one_token_request(
    fake_github: FakeGitHub, make_app: Callable[..., GitHubApp]
) -> None:
    app = make_app()
    tokens = await asyncio.gather(
        *(app.installation_token(fake_github.installation_id) for _ in range(5))
    )
    assert len(set(tokens)) == 1
    assert fake_github.calls("POST", ACCESS_TOKENS) == 1


async def test_every_request_carries_the_api_version(
    fake_github: FakeGitHub, github_app: GitHubApp
) -> None:
    number = issue_number(fake_github)
    gh = await github_app.installation_client(fake_github.installation_id)
    await gh.post(COMMENTS, {**REPO, "issue_number": number}, data={"body": "planning…"})
    await github_app.app_client().getitem("/app")
    assert len(fake_github.requests) == 3
    assert {r.headers.get("x-github-api-version") for r in fake_github.requests} == {"2022-11-28"}


async def test_anonymous_client_converts_a_manifest_code(fake_github: FakeGitHub) -> None:
    code = fake_github.register_manifest_code(manifest={"name": "My Orchestrator"})
    async with fake_github.client() as http:
        gh = anonymous_client(http, fake_github.api_url)
        app = await gh.post("/app-manifests/{code}/conversions", {"code": code}, data=b"")
    assert app["slug"] == "my-orchestrator"
    assert app["pem"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert "authorization" not in fake_github.requests[-1].headers


# ---- conditional requests -------------------------------------------------------------------


async def test_second_get_is_conditional_and_served_from_cache(
    fake_github: FakeGitHub, github_app: GitHubApp
) -> None:
    number = issue_number(fake_github)
    gh = await github_app.installation_client(fake_github.installation_id)
    url_vars = {**REPO, "issue_number": number}
    first = await gh.getitem(ISSUE, url_vars)
    gh = await github_app.installation_client(fake_github.installation_id)  # cache kept
    second = await gh.getitem(ISSUE, url_vars)
    assert second == first
    sent = fake_github.requests_to("GET", ISSUE)
    assert "if-none-match" not in sent[0].headers
    assert sent[1].headers["if-none-match"].startswith('W/"')
    assert [r.status for r in sent] == [200, 304]


async def test_a_changed_resource_is_fetched_again(
    fake_github: FakeGitHub, github_app: GitHubApp
) -> None:
    number = issue_number(fake_github)
    gh = await github_app.installation_client(fake_github.installation_id)
    url_vars = {**REPO, "issue_number": number}
    assert await gh.getitem(COMMENTS, url_vars) == []
    fake_github.person_comments("writer", number, "/status")
    comments = await gh.getitem(COMMENTS, url_vars)
    assert [c["body"] for c in comments] == ["/status"]
    assert [r.status for r in fake_github.requests_to("GET", COMMENTS)] == [200, 200]


# ---- rate limits ----------------------------------------------------------------------------


async def test_429_waits_retry_after_then_succeeds(
    fake_github: FakeGitHub, github_app: GitHubApp, github_sleeps: list[float]
) -> None:
    number = issue_number(fake_github)
    gh = await github_app.installation_client(fake_github.installation_id)
    fake_github.inject(
        "GET", ISSUE, 429, json={"message": "Too many"}, headers={"retry-after": "7"}
    )
    issue = await gh.getitem(ISSUE, {**REPO, "issue_number": number})
    assert issue["number"] == number
    assert github_sleeps == [7.0]
    assert fake_github.calls("GET", ISSUE) == 2


async def test_secondary_limit_without_retry_after_backs_off_from_a_minute(
    fake_github: FakeGitHub, github_app: GitHubApp, github_sleeps: list[float]
) -> None:
    number = issue_number(fake_github)
    gh = await github_app.installation_client(fake_github.installation_id)
    fake_github.inject("POST", COMMENTS, 403, json={"message": SECONDARY}, times=2)
    await gh.post(COMMENTS, {**REPO, "issue_number": number}, data={"body": "hi"})
    assert github_sleeps == [60.0, 120.0]
    assert len(fake_github.comments_on(number)) == 1


async def test_primary_limit_waits_until_reset(
    fake_github: FakeGitHub,
    make_app: Callable[..., GitHubApp],
    clock: FakeClock,
    github_sleeps: list[float],
) -> None:
    app = make_app()
    gh = await app.installation_client(fake_github.installation_id)
    reset = int(clock.now) + 30
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
    fake_github.inject(
        "GET",
        "/repos/{owner}/{repo}",
        403,
        json={"message": "API rate limit exceeded"},
        headers=headers,
    )
    repo = await gh.getitem("/repos/{owner}/{repo}", REPO)
    assert repo["full_name"] == "octo-org/hello-world"
    assert github_sleeps == [pytest.approx(reset - clock.now + 1.0)]


async def test_primary_limit_too_far_away_raises_rate_limited(
    fake_github: FakeGitHub,
    make_app: Callable[..., GitHubApp],
    clock: FakeClock,
    github_sleeps: list[float],
) -> None:
    app = make_app(policy=RateLimitPolicy(max_wait=600))
    gh = await app.installation_client(fake_github.installation_id)
    reset = int(clock.now) + 3000
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
    fake_github.inject(
        "GET", "/repos/{owner}/{repo}", 429, json={"message": "limit"}, headers=headers
    )
    with pytest.raises(RateLimited) as caught:
        await gh.getitem("/repos/{owner}/{repo}", REPO)
    assert caught.value.reset_at is not None
    assert caught.value.reset_at.timestamp() == reset
    assert caught.value.retry_after > 600
    assert github_sleeps == []


async def test_rate_limited_after_the_last_attempt(
    fake_github: FakeGitHub, make_app: Callable[..., GitHubApp], github_sleeps: list[float]
) -> None:
    app = make_app(policy=RateLimitPolicy(max_attempts=3))
    gh = await app.installation_client(fake_github.installation_id)
    fake_github.inject("GET", "/repos/{owner}/{repo}", 429, json={"message": "slow down"}, times=5)
    with pytest.raises(RateLimited):
        await gh.getitem("/repos/{owner}/{repo}", REPO)
    assert github_sleeps == [60.0, 120.0]
    assert fake_github.calls("GET", "/repos/{owner}/{repo}") == 3


async def test_a_plain_403_is_not_retried(
    fake_github: FakeGitHub, github_app: GitHubApp, github_sleeps: list[float]
) -> None:
    gh = await github_app.installation_client(fake_github.installation_id)
    message = {"message": "Resource not accessible by integration"}
    fake_github.inject("GET", "/repos/{owner}/{repo}", 403, json=message)
    with pytest.raises(gidgethub.BadRequest) as caught:
        await gh.getitem("/repos/{owner}/{repo}", REPO)
    assert caught.value.status_code == 403
    assert github_sleeps == []


async def test_mutations_of_one_installation_are_spaced(
    fake_github: FakeGitHub, make_app: Callable[..., GitHubApp], github_sleeps: list[float]
) -> None:
    app = make_app(mutation_spacing=1.0)
    number = issue_number(fake_github)
    gh = await app.installation_client(fake_github.installation_id)
    url_vars = {**REPO, "issue_number": number}
    await gh.post(COMMENTS, url_vars, data={"body": "one"})
    await gh.getitem(ISSUE, url_vars)  # reads are not spaced
    assert github_sleeps == []
    await gh.post(COMMENTS, url_vars, data={"body": "two"})
    assert github_sleeps == [pytest.approx(1.0)]


async def test_secrets_never_reach_the_log(
    fake_github: FakeGitHub, github_app: GitHubApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    gh = await github_app.installation_client(fake_github.installation_id)
    await gh.getitem("/repos/{owner}/{repo}", REPO)
    token = await github_app.installation_token(fake_github.installation_id)
    records = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    assert "/repos/octo-org/hello-world" in records  # requests are logged...
    assert token not in records  # ...but not their credentials
    sent_jwt = fake_github.requests_to("POST", ACCESS_TOKENS)[0].headers["authorization"]
    assert sent_jwt.split()[1] not in records
    assert "PRIVATE KEY" not in records
    assert token not in repr(github_app)
