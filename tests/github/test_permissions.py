"""bot.github.permissions: write access as GitHub reports it, cached for a few minutes."""

from __future__ import annotations

import gidgethub
import pytest

from bot.github.client import GitHubApp, RetryPolicy
from bot.github.permissions import PermissionCache, can_write
from tests.fakegithub import FakeGitHub

PERMISSION = "/repos/{owner}/{repo}/collaborators/{username}/permission"


@pytest.mark.parametrize(
    ("login", "allowed"),
    [
        ("octocat", True),  # admin
        ("maintainer", True),
        ("writer", True),
        ("triager", False),
        ("reader", False),
        ("outsider", False),  # no role: reads the public repository
    ],
)
async def test_write_roles_may_act(
    fake_github: FakeGitHub, github_app: GitHubApp, login: str, allowed: bool
) -> None:
    gh = await github_app.installation_client(fake_github.installation_id)
    assert await can_write(gh, owner="octo-org", repo="hello-world", username=login) is allowed
    assert fake_github.calls("GET", PERMISSION) == 1


async def test_unknown_user_is_a_404_and_no(fake_github: FakeGitHub, github_app: GitHubApp) -> None:
    gh = await github_app.installation_client(fake_github.installation_id)
    assert not await can_write(gh, owner="octo-org", repo="hello-world", username="ghost")
    assert fake_github.requests_to("GET", PERMISSION)[0].status == 404


async def test_author_association_does_not_decide(
    fake_github: FakeGitHub, github_app: GitHubApp
) -> None:
    # A private org member shows up as CONTRIBUTOR in payloads; only GitHub's answer counts.
    _, payload = fake_github.person_opens_issue("writer", "Plan this", "")
    payload["issue"]["author_association"] = "CONTRIBUTOR"
    gh = await github_app.installation_client(fake_github.installation_id)
    username = payload["issue"]["user"]["login"]
    assert await can_write(gh, owner="octo-org", repo="hello-world", username=username)
    _, payload = fake_github.person_opens_issue("reader", "Plan that", "")
    payload["issue"]["author_association"] = "OWNER"
    username = payload["issue"]["user"]["login"]
    assert not await can_write(gh, owner="octo-org", repo="hello-world", username=username)


async def test_a_custom_role_with_push_may_act(
    fake_github: FakeGitHub, github_app: GitHubApp
) -> None:
    fake_github.add_collaborator(fake_github.repo, "releaser", "release-manager")
    gh = await github_app.installation_client(fake_github.installation_id)
    answer = await gh.getitem(
        PERMISSION, {"owner": "octo-org", "repo": "hello-world", "username": "releaser"}
    )
    assert answer["role_name"] == "release-manager"
    assert answer["user"]["permissions"]["push"] is True
    assert await can_write(gh, owner="octo-org", repo="hello-world", username="releaser")


async def test_answers_are_cached_per_installation(
    fake_github: FakeGitHub, github_app: GitHubApp
) -> None:
    cache = PermissionCache()
    gh = await github_app.installation_client(fake_github.installation_id)
    for username in ("writer", "Writer", "writer"):
        assert await can_write(
            gh,
            owner="octo-org",
            repo="hello-world",
            username=username,
            cache=cache,
            installation_id=fake_github.installation_id,
        )
    assert fake_github.calls("GET", PERMISSION) == 1
    await can_write(
        gh,
        owner="octo-org",
        repo="hello-world",
        username="writer",
        cache=cache,
        installation_id=999,
    )
    assert fake_github.calls("GET", PERMISSION) == 2


async def test_cached_answers_expire(fake_github: FakeGitHub, github_app: GitHubApp) -> None:
    now = [0.0]
    cache = PermissionCache(ttl=300, timer=lambda: now[0])
    gh = await github_app.installation_client(fake_github.installation_id)

    async def ask() -> bool:
        return await can_write(
            gh, owner="octo-org", repo="hello-world", username="reader", cache=cache
        )

    assert not await ask()
    fake_github.add_collaborator(fake_github.repo, "reader", "write")  # promoted meanwhile
    now[0] = 299
    assert not await ask()
    now[0] = 301
    assert await ask()
    assert fake_github.calls("GET", PERMISSION) == 2


async def test_other_errors_are_not_taken_for_no(
    fake_github: FakeGitHub, github_app: GitHubApp
) -> None:
    gh = await github_app.installation_client(fake_github.installation_id)
    tries = RetryPolicy().tries  # the client repeats a GET on a 502 before giving up
    fake_github.inject("GET", PERMISSION, 502, json={"message": "Server Error"}, times=tries)
    cache = PermissionCache()
    with pytest.raises(gidgethub.GitHubBroken):
        await can_write(gh, owner="octo-org", repo="hello-world", username="writer", cache=cache)
    assert await can_write(gh, owner="octo-org", repo="hello-world", username="writer", cache=cache)
