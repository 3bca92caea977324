"""An installation client knows what its token was granted, from the token's own answer: the
plan commit asks it whether the app may write workflows without another request."""

from __future__ import annotations

from bot.github.client import GitHubApp
from tests.fakegithub import FakeGitHub

ACCESS_TOKENS = "/app/installations/{installation_id}/access_tokens"


async def test_the_clients_permissions_come_with_its_token(
    fake_github: FakeGitHub, github_app: GitHubApp
) -> None:
    gh = await github_app.installation_client(fake_github.installation_id)
    assert gh.permissions == fake_github.app.permissions
    assert "workflows" not in gh.permissions
    assert gh.guarded(_nothing).permissions == gh.permissions  # a job's copy
    assert fake_github.calls("POST", ACCESS_TOKENS) == 1
    assert len(fake_github.requests) == 1  # nothing asked besides the token


async def test_an_installation_that_granted_workflows_says_so(
    fake_github: FakeGitHub, github_app: GitHubApp
) -> None:
    fake_github.app.permissions["workflows"] = "write"
    gh = await github_app.installation_client(fake_github.installation_id)
    assert gh.permissions["workflows"] == "write"


async def _nothing() -> None:
    return None
