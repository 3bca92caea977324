"""Fixtures for tests of the running app: settings on the fake GitHub, the app, its worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.apphelpers import RunningApp, running_app
from tests.fakegithub import FakeGitHub


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


@pytest.fixture
async def app(app_settings: Settings, fake_github: FakeGitHub) -> AsyncIterator[RunningApp]:
    async with fake_github.client() as http, running_app(app_settings, http) as running:
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
