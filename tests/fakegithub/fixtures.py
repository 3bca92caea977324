"""Pytest fixtures for the fake GitHub.

Imported into `tests/conftest.py`, so every test can ask for them:
- `github_spec` (session): GitHub's REST description, parsed and indexed once;
- `fake_github`: a `FakeGitHub` with the standard world (see `standard_world`); at teardown it
  fails the test if any request violated GitHub's description;
- `ci_world`: that world with GitHub Actions CI passing at once (`fake.enable_ci()`);
- `github_sleeps`: the list an injected `sleep` appends to instead of sleeping;
- `github_app`: a `bot.github.client.GitHubApp` wired to the fake (no mutation spacing,
  sleeps recorded);
- `gh`: that App's client for its installation on octo-org.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.github.client import GitHubApp, GitHubClient
from tests.fakegithub.fake import FakeGitHub, standard_world
from tests.fakegithub.openapi import OpenAPISpec, load_spec


@pytest.fixture(scope="session")
def github_spec() -> OpenAPISpec:
    return load_spec()


@pytest.fixture
def fake_github(github_spec: OpenAPISpec) -> Iterator[FakeGitHub]:
    fake = standard_world(FakeGitHub(github_spec))
    yield fake
    assert not fake.violations, "the fake GitHub saw violations:\n" + "\n".join(fake.violations)


@pytest.fixture
def ci_world(fake_github: FakeGitHub) -> FakeGitHub:
    """The standard world with GitHub Actions CI that passes at once."""
    fake_github.enable_ci()
    return fake_github


@pytest.fixture
def github_sleeps() -> list[float]:
    return []


@pytest.fixture
async def github_app(
    fake_github: FakeGitHub, github_sleeps: list[float]
) -> AsyncIterator[GitHubApp]:
    async def record_sleep(seconds: float) -> None:
        github_sleeps.append(seconds)

    async with fake_github.client() as http:
        yield GitHubApp(
            app_id=fake_github.app_id,
            private_key=fake_github.private_key_pem,
            http=http,
            api_url=fake_github.api_url,
            mutation_spacing=0,
            sleep=record_sleep,
        )


@pytest.fixture
async def gh(fake_github: FakeGitHub, github_app: GitHubApp) -> GitHubClient:
    return await github_app.installation_client(fake_github.installation_id)
