"""Setup mode: the registration page, and the callback against the fake GitHub's conversion."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from markupsafe import escape
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.github.client import GitHubApp
from bot.settings import Settings, load_settings
from bot.web.manifest import load_app_yml
from bot.web.registration import CONVERSION_REFUSED, ConfiguredApp, writes_env_file
from bot.web.setup import (
    ALREADY_REGISTERED,
    ALREADY_SHOWN,
    BAD_ORGANIZATION,
    BAD_STATE,
    STATE_TTL_SECONDS,
    UNKNOWN_HOST,
    OnConfigured,
    StateStore,
    setup_routes,
)
from tests.fakegithub import FakeGitHub
from tests.test_envfile import mode

PUBLIC_URL = "https://orchestrator.example.test"
BROWSER_URL = "http://localhost:8000"  # where the tests' browser reaches the server


@dataclass
class Form:
    method: str
    action: str
    inputs: dict[str, str] = field(default_factory=dict)


class Forms(HTMLParser):
    """The forms of a page, with their inputs' values (entities decoded, as a browser does)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(values.get("method", "get"), values.get("action", "")))
        elif tag == "input" and self.forms and "name" in values:
            self.forms[-1].inputs[values["name"]] = values.get("value", "")


class Textareas(HTMLParser):
    """The text of each textarea on a page, by id."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self._open: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "textarea":
            self._open = dict(attrs).get("id") or ""
            self.values[self._open] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self.values[self._open] += data


def registration_form(html: str) -> Form:
    [form] = [form for form in Forms(html).forms if "manifest" in form.inputs]
    return form


def setup_settings(fake: FakeGitHub, env_file: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "github_api_url": fake.api_url,
        "github_web_url": fake.urls.web,
        "env_file_path": env_file,
        "public_url": PUBLIC_URL,
    }
    return Settings(_env_file=None, **{**values, **overrides})


@pytest.fixture
def http(fake_github: FakeGitHub) -> Iterator[httpx2.AsyncClient]:
    client = fake_github.client()
    yield client
    asyncio.run(client.aclose())


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    directory = tmp_path / "deploy"
    directory.mkdir()
    return directory / ".env"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def client_for(
    settings: Settings,
    http: httpx2.AsyncClient,
    on_configured: OnConfigured | None = None,
    states: StateStore | None = None,
    *,
    base_url: str = BROWSER_URL,
    write_env: bool = True,
) -> TestClient:
    routes = setup_routes(settings, http, on_configured, states=states, write_env=write_env)
    return TestClient(Starlette(routes=routes), base_url=base_url)


def start(client: TestClient) -> str:
    """Render the setup page and return the state its registration form carries."""
    action = registration_form(client.get("/").text).action
    return parse_qs(urlsplit(action).query)["state"][0]


def written_files(env_file: Path) -> list[str]:
    return sorted(path.name for path in env_file.parent.iterdir())


# ---- the page ---------------------------------------------------------------------------


def test_setup_page_offers_the_manifest_built_from_app_yml(
    fake_github: FakeGitHub, http: httpx2.AsyncClient, env_file: Path
) -> None:
    client = client_for(setup_settings(fake_github, env_file), http)

    response = client.get("/")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    for name in ("GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET"):
        assert f"<code>{name}</code>" in response.text
    assert "PUBLIC_URL</code> is not set" not in response.text
    form = registration_form(response.text)
    assert form.method == "post"
    action = urlsplit(form.action)
    assert f"{action.scheme}://{action.netloc}{action.path}" == (
        f"{fake_github.urls.web}/settings/apps/new"
    )
    assert len(parse_qs(action.query)["state"][0]) >= 32
    manifest = json.loads(form.inputs["manifest"])
    app_yml = load_app_yml()
    assert manifest["default_permissions"] == app_yml["default_permissions"]
    assert manifest["default_events"] == app_yml["default_events"]
    assert manifest["hook_attributes"] == {"url": f"{PUBLIC_URL}/webhooks", "active": True}
    assert manifest["name"] == "ai-orchestrator"


def test_the_registration_redirect_uses_the_browsers_address_while_the_webhook_url_uses_public_url(
    fake_github: FakeGitHub, http: httpx2.AsyncClient, env_file: Path
) -> None:
    client = client_for(setup_settings(fake_github, env_file), http)

    manifest = json.loads(registration_form(client.get("/").text).inputs["manifest"])

    assert manifest["redirect_url"] == f"{BROWSER_URL}/setup/callback"
    assert manifest["hook_attributes"]["url"] == f"{PUBLIC_URL}/webhooks"
    assert manifest["url"] == PUBLIC_URL


def test_with_a_webhook_proxy_github_posts_to_the_channel(
    fake_github: FakeGitHub, http: httpx2.AsyncClient, env_file: Path
) -> None:
    channel = "https://smee.io/3fJcsM1Xq2kTn9Lw"
    settings = setup_settings(fake_github, env_file, public_url=None, webhook_proxy_url=channel)
    client = client_for(settings, http)

    response = client.get("/")

    manifest = json.loads(registration_form(response.text).inputs["manifest"])
    assert manifest["hook_attributes"]["url"] == channel
    assert manifest["redirect_url"] == f"{BROWSER_URL}/setup/callback"
    assert "GitHub never has to reach this machine" in response.text
    assert "PUBLIC_URL</code> is not set" not in response.text


@pytest.mark.parametrize(
    "base_url",
    [
        PUBLIC_URL,
        "http://127.0.0.1:8000",
        "http://[::1]:8000",
        "http://192.0.2.7:8000",
        "http://devbox:8000",
        "http://app.localhost:8000",
    ],
)
def test_the_page_opens_at_ip_addresses_plain_machine_names_and_public_url(
    fake_github: FakeGitHub, http: httpx2.AsyncClient, env_file: Path, base_url: str
) -> None:
    client = client_for(setup_settings(fake_github, env_file), http, base_url=base_url)

    manifest = json.loads(registration_form(client.get("/").text).inputs["manifest"])

    assert manifest["redirect_url"] == f"{base_url}/setup/callback"


def test_a_page_reached_through_a_name_this_server_does_not_know_offers_no_registration(
    fake_github: FakeGitHub, http: httpx2.AsyncClient, env_file: Path
) -> None:
    # A rebound DNS name pointing at this machine would get GitHub's code sent to its owner.
    client = client_for(
        setup_settings(fake_github, env_file), http, base_url="http://evil.test:8000"
    )

    response = client.get("/")

    assert response.status_code == 400
    assert escape(UNKNOWN_HOST.format(host="evil.test", port=8000)) in response.text
    assert Forms(response.text).forms == []
    assert response.headers["cache-control"] == "no-store"


def test_without_public_url_the_page_uses_the_address_it_was_reached_at_and_says_so(
    fake_github: FakeGitHub, http: httpx2.AsyncClient, env_file: Path
) -> None:
    client = client_for(setup_settings(fake_github, env_file, public_url=None), http)

    response = client.get("/")

    assert "<code>PUBLIC_URL</code> is not set" in response.text
    manifest = json.loads(registration_form(response.text).inputs["manifest"])
    assert manifest["hook_attributes"]["url"] == f"{BROWSER_URL}/webhooks"
    assert manifest["redirect_url"] == f"{BROWSER_URL}/setup/callback"


def test_each_page_carries_a_fresh_state(
    fake_github: FakeGitHub, http: httpx2.AsyncClient, env_file: Path
) -> None:
    client = client_for(setup_settings(fake_github, env_file), http)

    assert start(client) != start(client)


def test_an_organisation_switches_the_form_to_its_new_app_page(
    fake_github: FakeGitHub, http: httpx2.AsyncClient, env_file: Path
) -> None:
    client = client_for(setup_settings(fake_github, env_file), http)

    form = registration_form(client.get("/", params={"organization": "acme-corp"}).text)

    assert urlsplit(form.action).path == "/organizations/acme-corp/settings/apps/new"


def test_a_malformed_organisation_is_refused_and_the_form_stays_personal(
    fake_github: FakeGitHub, http: httpx2.AsyncClient, env_file: Path
) -> None:
    client = client_for(setup_settings(fake_github, env_file), http)

    response = client.get("/", params={"organization": '"><script>alert(1)</script>'})

    assert escape(BAD_ORGANIZATION) in response.text
    assert "<script>" not in response.text
    assert urlsplit(registration_form(response.text).action).path == "/settings/apps/new"


# ---- the callback -----------------------------------------------------------------------


def register(
    fake: FakeGitHub, client: TestClient, *, state: str | None = None
) -> tuple[httpx2.Response, str]:
    """Go through GitHub's flow as a browser would: the form's manifest becomes the App."""
    page = client.get("/").text
    form = registration_form(page)
    state = state or parse_qs(urlsplit(form.action).query)["state"][0]
    code = fake.register_manifest_code(manifest=json.loads(form.inputs["manifest"]))
    response = client.get("/setup/callback", params={"code": code, "state": state})
    return response, code


def test_callback_writes_credentials_a_restarted_app_starts_with(
    fake_github: FakeGitHub,
    http: httpx2.AsyncClient,
    env_file: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TRIGGER_LABEL", raising=False)
    env_file.write_text("# mine\nTRIGGER_LABEL=ship-it\nGITHUB_PRIVATE_KEY='old'\n")
    client = client_for(setup_settings(fake_github, env_file), http)
    caplog.set_level(logging.DEBUG)

    response, _ = register(fake_github, client)

    assert response.status_code == 200, response.text
    [conversion] = fake_github.requests_to("POST", "/app-manifests/{code}/conversions")
    assert "authorization" not in conversion.headers
    assert conversion.headers["x-github-api-version"] == "2022-11-28"
    app = next(app for app in fake_github.state.apps.values() if app.id != fake_github.app_id)
    key_file = env_file.parent / f"github-app.{app.slug}.private-key.pem"
    assert written_files(env_file) == [".env", key_file.name]
    assert mode(env_file) == 0o600
    assert mode(key_file) == 0o600
    assert key_file.read_text() == app.keys.private_pem
    assert env_file.read_text().startswith("# mine\nTRIGGER_LABEL=ship-it\n")
    assert "GITHUB_PRIVATE_KEY=" not in env_file.read_text()

    restarted = load_settings(_env_file=env_file)
    assert restarted.credential_state == "configured"
    assert restarted.github_app_id == app.id
    assert restarted.webhook_secret() == app.webhook_secret
    assert restarted.github_client_id == app.client_id
    assert restarted.github_client_secret is not None
    assert restarted.github_client_secret.get_secret_value() == app.client_secret
    assert restarted.trigger_label == "ship-it"
    assert restarted.session_secret is not None  # generated for the dashboard's sessions
    session_secret = restarted.session_secret.get_secret_value()
    assert len(session_secret) >= 43 and session_secret not in caplog.text
    assert asyncio.run(fetch_app_slug(fake_github, restarted)) == app.slug

    assert f'href="{fake_github.urls.web}/apps/{app.slug}/installations/new"' in response.text
    assert "Restart the server" in response.text
    assert response.headers["referrer-policy"] == "no-referrer"
    for secret in (app.webhook_secret, app.client_secret, app.keys.private_pem[40:80]):
        assert secret not in response.text
        assert secret not in caplog.text


async def fetch_app_slug(fake: FakeGitHub, settings: Settings) -> str:
    """What the restarted app does first: sign a JWT with the saved key and call GET /app."""
    assert settings.github_app_id is not None
    async with fake.client() as http:
        github = GitHubApp(
            app_id=settings.github_app_id,
            private_key=settings.private_key(),
            http=http,
            api_url=fake.api_url,
        )
        answer = await github.app_client().getitem("/app")
    return str(answer["slug"])


def test_callback_hands_the_registered_app_to_on_configured(
    fake_github: FakeGitHub, http: httpx2.AsyncClient, env_file: Path
) -> None:
    seen: list[ConfiguredApp] = []

    async def on_configured(app: ConfiguredApp) -> None:
        seen.append(app)

    client = client_for(setup_settings(fake_github, env_file), http, on_configured)

    response, _ = register(fake_github, client)

    app = next(app for app in fake_github.state.apps.values() if app.id != fake_github.app_id)
    assert seen == [
        ConfiguredApp(
            app_id=app.id,
            slug=app.slug,
            name=app.name,
            html_url=f"{fake_github.urls.web}/apps/{app.slug}",
            client_id=app.client_id,
            env_file=env_file.resolve(),
            private_key_file=env_file.resolve().parent / f"github-app.{app.slug}.private-key.pem",
        )
    ]
    assert "picked up the new credentials" in response.text
    assert "Restart the server" not in response.text


def test_a_failing_on_configured_leaves_the_credentials_and_asks_for_a_restart(
    fake_github: FakeGitHub, http: httpx2.AsyncClient, env_file: Path
) -> None:
    async def on_configured(app: ConfiguredApp) -> None:
        raise RuntimeError("reload failed")

    client = client_for(setup_settings(fake_github, env_file), http, on_configured)

    response, _ = register(fake_github, client)

    assert response.status_code == 200
    assert "Restart the server" in response.text
    assert load_settings(_env_file=env_file).credential_state == "configured"


def test_after_registering_the_page_shows_the_result_and_no_second_app_is_registered(
    fake_github: FakeGitHub, http: httpx2.AsyncClient, env_file: Path
) -> None:
    client = client_for(setup_settings(fake_github, env_file), http)
    state = start(client)
    first, _ = register(fake_github, client)
    before = env_file.read_text()

    page = client.get("/")
    second = client.get("/setup/callback", params={"code": "another", "state": state})

    assert first.status_code == 200
    assert "is registered" in page.text
    assert Forms(page.text).forms == []
    assert second.status_code == 409
    assert escape(ALREADY_REGISTERED.format(env_file=env_file.resolve())) in second.text
    assert fake_github.calls("POST", "/app-manifests/{code}/conversions") == 1
    assert env_file.read_text() == before


@pytest.mark.parametrize("state", [None, "", "not-a-state-this-server-issued"])
def test_a_bad_state_is_refused_and_nothing_is_written(
    fake_github: FakeGitHub, http: httpx2.AsyncClient, env_file: Path, state: str | None
) -> None:
    client = client_for(setup_settings(fake_github, env_file), http)
    start(client)
    code = fake_github.register_manifest_code(manifest={"name": "ai-orchestrator"})
    params = {"code": code} if state is None else {"code": code, "state": state}

    response = client.get("/setup/callback", params=params)

    assert response.status_code == 400
    assert escape(BAD_STATE) in response.text
    assert fake_github.requests == []
    assert written_files(env_file) == []


def test_a_state_older_than_an_hour_is_refused(
    fake_github: FakeGitHub, http: httpx2.AsyncClient, env_file: Path
) -> None:
    clock = Clock()
    client = client_for(setup_settings(fake_github, env_file), http, states=StateStore(timer=clock))
    state = start(client)
    clock.now += STATE_TTL_SECONDS + 1

    response, _ = register(fake_github, client, state=state)

    assert response.status_code == 400
    assert fake_github.requests == []
    assert written_files(env_file) == []


def test_a_state_works_once(
    fake_github: FakeGitHub, http: httpx2.AsyncClient, env_file: Path
) -> None:
    client = client_for(setup_settings(fake_github, env_file), http)
    state = start(client)
    client.get("/setup/callback", params={"code": "unknown", "state": state})

    response, _ = register(fake_github, client, state=state)

    assert response.status_code == 400
    assert escape(BAD_STATE) in response.text
    assert written_files(env_file) == []


def test_a_code_github_does_not_know_is_an_error_page_and_nothing_is_written(
    fake_github: FakeGitHub, http: httpx2.AsyncClient, env_file: Path
) -> None:
    client = client_for(setup_settings(fake_github, env_file), http)

    response = client.get("/setup/callback", params={"code": "0123abcd", "state": start(client)})

    assert response.status_code == 502
    assert escape(CONVERSION_REFUSED.format(status=404)) in response.text
    assert [r.status for r in fake_github.requests] == [404]
    assert written_files(env_file) == []


def test_a_code_older_than_an_hour_is_refused_by_github_and_nothing_is_written(
    fake_github: FakeGitHub, http: httpx2.AsyncClient, env_file: Path
) -> None:
    client = client_for(setup_settings(fake_github, env_file), http)
    state = start(client)
    code = fake_github.register_manifest_code(manifest={"name": "ai-orchestrator"})
    fake_github.state.manifest_codes[code].expires_at = fake_github.now()

    response = client.get("/setup/callback", params={"code": code, "state": state})

    assert response.status_code == 502
    assert written_files(env_file) == []


# ---- a disk that is thrown away ----------------------------------------------------------


def test_on_a_throwaway_disk_the_values_to_set_are_shown_once_and_never_logged(
    fake_github: FakeGitHub,
    http: httpx2.AsyncClient,
    env_file: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[ConfiguredApp] = []

    async def on_configured(app: ConfiguredApp) -> None:
        seen.append(app)

    settings = setup_settings(fake_github, env_file)
    client = client_for(settings, http, on_configured, write_env=False)
    caplog.set_level(logging.DEBUG)
    state = start(client)

    response, code = register(fake_github, client, state=state)

    app = next(app for app in fake_github.state.apps.values() if app.id != fake_github.app_id)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    values = Textareas(response.text).values
    session_secret = values.pop("SESSION_SECRET")  # generated here, for the dashboard's cookies
    assert len(session_secret) >= 43
    assert values == {
        "GITHUB_APP_ID": str(app.id),
        "GITHUB_PRIVATE_KEY": app.keys.private_pem,
        "GITHUB_WEBHOOK_SECRET": app.webhook_secret,
        "GITHUB_CLIENT_ID": app.client_id,
        "GITHUB_CLIENT_SECRET": app.client_secret,
    }
    assert written_files(env_file) == []
    assert seen == []  # nothing to switch to: the platform restarts the app with the values
    secrets = (app.webhook_secret, app.client_secret, app.keys.private_pem[40:80], session_secret)
    assert not [secret for secret in secrets if secret in caplog.text]

    later = client.get("/")
    again = client.get("/setup/callback", params={"code": code, "state": state})

    assert "is registered" in later.text and "shown once" in later.text
    assert again.status_code == 409
    assert escape(ALREADY_SHOWN) in again.text
    assert not [secret for secret in secrets if secret in later.text + again.text]


@pytest.mark.parametrize(
    ("setting", "environ", "writes"),
    [
        (None, {}, True),
        (None, {"DYNO": "web.1"}, False),  # Heroku
        (None, {"K_SERVICE": "orchestrator"}, False),  # Google Cloud Run
        (True, {"DYNO": "web.1"}, True),
        (False, {}, False),
    ],
)
def test_setup_writes_env_unless_told_not_to_or_on_a_platform_whose_disk_is_thrown_away(
    setting: bool | None, environ: dict[str, str], writes: bool
) -> None:
    settings = Settings(_env_file=None, setup_write_env=setting)  # type: ignore[call-arg]

    assert writes_env_file(settings, environ) is writes
