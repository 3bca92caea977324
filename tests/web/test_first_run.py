"""First run through the real app: setup mode, registration, then webhooks without a restart."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bot.settings import CredentialState, load_settings
from tests.apphelpers import RunningApp, running_app, webhook_headers
from tests.fakegithub import FakeGitHub
from tests.web.test_setup_mode import registration_form

PING = {"zen": "Design for failure.", "hook_id": 1}


async def register_through_the_app(app: RunningApp, fake: FakeGitHub) -> None:
    page = await app.client.get("/")
    assert page.status_code == 200
    form = registration_form(page.text)
    manifest = json.loads(form.inputs["manifest"])
    state = parse_qs(urlsplit(form.action).query)["state"][0]
    code = fake.register_manifest_code(manifest=manifest)
    done = await app.client.get("/setup/callback", params={"code": code, "state": state})
    assert done.status_code == 200, done.text


async def deliver_ping(app: RunningApp, secret: str) -> int:
    body = json.dumps(PING).encode()
    headers = webhook_headers("ping", body, secret)
    return (await app.client.post("/webhooks", content=body, headers=headers)).status_code


async def test_setup_mode_registers_and_leaves_setup_without_restart(
    unconfigured_app: RunningApp, fake_github: FakeGitHub
) -> None:
    app = unconfigured_app
    assert await deliver_ping(app, "anything") == 503
    await register_through_the_app(app, fake_github)

    settings = app.runtime.settings
    assert settings.credential_state is CredentialState.CONFIGURED
    assert settings.github_app_id != fake_github.app_id  # the App just registered
    assert settings.database_url == app.settings.database_url  # the rest is kept
    assert await deliver_ping(app, settings.webhook_secret()) == 202
    home = await app.client.get("/")
    assert "is running" in home.text and "Register a GitHub App" not in home.text
    again = await app.client.get("/setup/callback", params={"code": "x", "state": "y"})
    assert again.status_code == 303


async def test_a_restarted_app_starts_configured_from_the_written_env(
    unconfigured_app: RunningApp, fake_github: FakeGitHub
) -> None:
    await register_through_the_app(unconfigured_app, fake_github)
    env_file: Path = unconfigured_app.settings.env_file_path
    restarted = load_settings(
        _env_file=env_file,
        database_url=unconfigured_app.settings.database_url,
        github_api_url=fake_github.api_url,  # the rest of the operator's environment
    )
    assert restarted.credential_state is CredentialState.CONFIGURED
    async with fake_github.client() as http, running_app(restarted, http) as app:
        assert await deliver_ping(app, restarted.webhook_secret()) == 202
        assert app.runtime.deps is not None
        me = await app.runtime.deps.github.app_client().getitem("/app")
        assert me["id"] == restarted.github_app_id != fake_github.app_id
