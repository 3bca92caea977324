"""Fixtures for tests of the running app: settings on the fake GitHub, the app, its worker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx2
import pytest

from agents.runtime import AgentRuntime, build_runtime
from bot.deps import secret_values
from bot.github.ratelimit import Sleep
from bot.settings import Settings
from storage.db import SessionMaker
from tests.apphelpers import RunningApp, running_app
from tests.fakegithub import FakeGitHub
from tests.scriptedmodel.runtime import FakeClock, agent_settings


def settings_for(fake: FakeGitHub, database_url: str, env_file: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        github_app_id=fake.app_id,
        github_private_key=fake.private_key_pem,
        github_webhook_secret=fake.webhook_secret,
        github_api_url=fake.api_url,
        database_url=database_url,
        github_mutation_spacing=0,
        env_file_path=env_file,
        public_url="https://orchestrator.example.test",
    )


@pytest.fixture
def app_settings(fake_github: FakeGitHub, database_url: str, tmp_path: Path) -> Settings:
    return settings_for(fake_github, database_url, tmp_path / ".env")


def recorder(sleeps: list[float]) -> Sleep:
    """A `sleep` that notes how long it was asked to wait, and returns at once."""

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return sleep


@pytest.fixture
async def app(
    app_settings: Settings, fake_github: FakeGitHub, github_sleeps: list[float]
) -> AsyncIterator[RunningApp]:
    """The app without agents: the workflow's jobs wait in the queue (see `workflow_app`).
    The GitHub client's waits are recorded in `github_sleeps`, not waited."""
    async with (
        fake_github.client() as http,
        running_app(
            app_settings, http, workflow=False, github_sleep=recorder(github_sleeps)
        ) as running,
    ):
        yield running


@pytest.fixture
async def unconfigured_app(
    fake_github: FakeGitHub, database_url: str, tmp_path: Path
) -> AsyncIterator[RunningApp]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        github_api_url=fake_github.api_url,
        env_file_path=tmp_path / ".env",
        public_url="https://orchestrator.example.test",
    )
    async with fake_github.client() as http, running_app(settings, http) as running:
        yield running


def scripted_agents(
    model_http: httpx2.AsyncClient, clock: FakeClock
) -> Callable[[Settings, SessionMaker], AgentRuntime]:
    """The app's agents on the scripted model (every role on its default provider)."""

    def factory(settings: Settings, sessions: SessionMaker) -> AgentRuntime:
        return build_runtime(
            agent_settings(),
            sessions,
            http_client=model_http,
            secrets=secret_values(settings),
            clock=clock,
        )

    return factory


@pytest.fixture
async def workflow_app(
    request: pytest.FixtureRequest,
    app_settings: Settings,
    fake_github: FakeGitHub,
    model_http: httpx2.AsyncClient,
    clock: FakeClock,
    github_sleeps: list[float],
) -> AsyncIterator[RunningApp]:
    """The app on the fake GitHub, its agents on the scripted model (`scripted_model`). The
    repository has GitHub Actions CI that passes at once, as most do; a test marked `no_ci`
    gets a repository without any. The GitHub client's waits (rate limits, retries) are
    recorded in `github_sleeps`, not waited."""
    if request.node.get_closest_marker("no_ci") is None:
        fake_github.enable_ci()
    factory = scripted_agents(model_http, clock)
    sleep = recorder(github_sleeps)
    async with (
        fake_github.client() as http,
        running_app(app_settings, http, agent_factory=factory, github_sleep=sleep) as running,
    ):
        yield running
