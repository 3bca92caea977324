"""The built-in `notify` plugin, enabled through its entry point: Slack-compatible incoming
webhooks get one line per event, plain HTTPS endpoints the event's JSON signed with
HMAC-SHA256 as GitHub signs its webhooks (the tests verify the signature); failures are
retried with backoff, a refusal is not, and the endpoints are settings, never options."""

from __future__ import annotations

import hashlib
import hmac
import json
import tomllib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import httpx2
import pytest
from pydantic import SecretStr
from tenacity import wait_none

from agents.redact import scrub
from bot.plugins.calls import call
from bot.plugins.context import PluginContext
from bot.plugins.events import EVENTS, PhaseMerged, PhaseRef, ProjectRef
from bot.plugins.host import load_plugins
from bot.plugins.notify.post import (
    DELIVERY_HEADER,
    HOOK_HEADER,
    SIGNATURE_HEADER,
    NotifyFailed,
    Post,
    send,
)
from bot.settings import Settings, SettingsError, load_settings
from storage.projects import ProjectStatus
from tests.appfixtures import recorder, scripted_agents
from tests.apphelpers import RunningApp, running_app
from tests.fakegithub import FakeGitHub
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.scriptedmodel.runtime import FakeClock
from tests.workflow_helpers import AUTO, REPO, project_of, set_options, start_project

ROOT = Path(__file__).resolve().parents[2]
SLACK = "https://hooks.slack.test/services/T000/B000/XXXXXXXXXXXXXXXX"
ENDPOINT = "https://hooks.example.test/ai-orchestrator"
SECRET = "notify-signing-secret-0123"
PROJECT = ProjectRef(
    id=7,
    repository=REPO,
    issue_number=1,
    issue_title="Back office <for> orders & invoices",
    issue_url=f"https://github.com/{REPO}/issues/1",
    spent_usd=0.35,
    budget_usd=10.0,
)
MERGED = PhaseMerged(
    key="phase_merged:7:2",
    project=PROJECT,
    occurred_at=datetime(2026, 12, 20, 10, 0, tzinfo=UTC),
    phase=PhaseRef(
        number=2, name="Feature 2", pr_number=3, pr_url=f"https://github.com/{REPO}/pull/3"
    ),
    merged_sha="abc123",
    merged_by="ai-orchestrator",
)
MERGED_TEXT = (
    f"<https://github.com/{REPO}/issues/1|{REPO}#1> Back office &lt;for&gt; orders &amp; "
    f"invoices: :twisted_rightwards_arrows: Merged phase 2, Feature 2 "
    f"(<https://github.com/{REPO}/pull/3|#3>) by ai-orchestrator"
)


def notify_settings(**changes: Any) -> Settings:
    values: dict[str, Any] = {
        "plugins": "notify",
        "notify_slack_urls": SLACK,
        "notify_webhook_urls": ENDPOINT,
        "notify_webhook_secret": SECRET,
    }
    return Settings(_env_file=None, **(values | changes))  # type: ignore[call-arg]


class Endpoints:
    """Stands for Slack and the HTTPS endpoint: records each request, answers `statuses` in
    turn (then 200)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[httpx2.Request] = []
        self.statuses = list(statuses or [])

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        self.requests.append(request)
        status = self.statuses.pop(0) if self.statuses else 200
        return httpx2.Response(status, text="ok")

    def to(self, url: str) -> list[httpx2.Request]:
        return [r for r in self.requests if str(r.url) == url]


def verified(request: httpx2.Request, secret: str = SECRET) -> dict[str, Any]:
    """The body of a signed request, once its signature checks out, as a receiver checks it."""
    expected = "sha256=" + hmac.new(secret.encode(), request.content, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers[SIGNATURE_HEADER], expected)
    body: dict[str, Any] = json.loads(request.content)
    return body


async def notify_once(settings: Settings, endpoints: Endpoints) -> None:
    plugins = load_plugins(["notify"], timeout=5)
    assert plugins.names == ("notify",) and plugins.failures == ()
    [impl] = plugins.impls("phase_merged")
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(endpoints)) as http:
        await call(impl, {"event": MERGED, "context": PluginContext(settings, http)}, 5)


def test_notify_is_registered_through_the_projects_own_entry_point() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    points = project["project"]["entry-points"]["ai_orchestrator.plugins"]
    assert points == {"notify": "bot.plugins.notify"}
    module = EntryPoint("notify", points["notify"], "ai_orchestrator.plugins").load()
    assert {name for name in EVENTS if hasattr(module, name)} == set(EVENTS)
    assert "pluggy>=1.5" in project["project"]["dependencies"]


async def test_notify_posts_the_slack_line_and_the_signed_event() -> None:
    endpoints = Endpoints()
    await notify_once(notify_settings(), endpoints)
    [slack] = endpoints.to(SLACK)
    assert json.loads(slack.content) == {"text": MERGED_TEXT}
    assert slack.headers["content-type"] == "application/json"
    assert SIGNATURE_HEADER not in slack.headers  # Slack's URL is its own credential
    [signed] = endpoints.to(ENDPOINT)
    assert verified(signed) == {"hook": "phase_merged", "event": MERGED.model_dump(mode="json")}
    assert signed.headers[DELIVERY_HEADER] == "phase_merged:7:2"
    assert signed.headers[HOOK_HEADER] == "phase_merged"
    with pytest.raises(AssertionError):
        verified(signed, secret="another-secret")  # the check the test relies on can fail


async def test_notify_events_narrows_what_is_posted() -> None:
    endpoints = Endpoints()
    await notify_once(notify_settings(notify_events="project_done, phase_failed"), endpoints)
    assert endpoints.requests == []
    await notify_once(notify_settings(notify_events="phase_merged"), endpoints)
    assert len(endpoints.requests) == 2


async def test_failures_are_retried_with_backoff_and_refusals_are_not() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    post = Post(ENDPOINT, "hooks.example.test", b"{}")
    endpoints = Endpoints([503, 429])
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(endpoints)) as http:
        await send(http, post, sleep=sleep)
        assert len(endpoints.requests) == 3 and waits == [0.5, 1.0]
        refused = Endpoints([404])
        async with httpx2.AsyncClient(transport=httpx2.MockTransport(refused)) as other:
            with pytest.raises(NotifyFailed, match="refused it with 404"):
                await send(other, post, sleep=sleep)
        assert len(refused.requests) == 1


async def test_an_endpoint_that_keeps_failing_is_named_but_a_slack_url_never_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("bot.plugins.notify.post.BACKOFF", wait_none())
    endpoints = Endpoints([500, 500, 500, 500, 500, 500])
    with pytest.raises(NotifyFailed) as failed:
        await notify_once(notify_settings(), endpoints)
    assert str(failed.value) == (
        "2 of 2 endpoints failed: Slack webhook 1: answered 500; hooks.example.test: answered 500"
    )
    assert len(endpoints.requests) == 6  # three tries each


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"NOTIFY_SLACK_URLS": "http://hooks.slack.test/x"}, "NOTIFY_SLACK_URLS: entry 1 is"),
        ({"NOTIFY_WEBHOOK_URLS": f"{ENDPOINT},ftp://x"}, "NOTIFY_WEBHOOK_URLS: entry 2 is"),
        ({"NOTIFY_WEBHOOK_SECRET": None}, "NOTIFY_WEBHOOK_URLS needs NOTIFY_WEBHOOK_SECRET"),
    ],
)
def test_notify_settings_are_checked_when_read(
    monkeypatch: pytest.MonkeyPatch, changes: dict[str, str | None], message: str
) -> None:
    values = {"NOTIFY_SLACK_URLS": SLACK, "NOTIFY_WEBHOOK_URLS": ENDPOINT}
    values["NOTIFY_WEBHOOK_SECRET"] = SECRET
    for name, value in (values | changes).items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message) as refused:
        load_settings(_env_file=None)
    assert "XXXXXXXX" not in str(refused.value)  # a Slack URL's token is never shown


def test_the_signing_secret_and_the_slack_urls_are_scrubbed() -> None:
    notify_settings(notify_slack_urls=f"{SLACK}, https://hooks.slack.test/services/T1/B1/YYYYYY")
    text = scrub(
        f"posting to {SLACK} with {SECRET} and https://hooks.slack.test/services/T1/B1/YYYYYY"
    )
    assert SECRET not in text and "XXXXXXXX" not in text and "YYYYYY" not in text


@pytest.fixture
async def notify_app(
    app_settings: Settings,
    fake_github: FakeGitHub,
    model_http: httpx2.AsyncClient,
    clock: FakeClock,
    github_sleeps: list[float],
) -> AsyncIterator[tuple[RunningApp, Endpoints]]:
    """The workflow app with `notify` enabled, its HTTP client reaching the fake GitHub and,
    for the two notify endpoints' hosts, `Endpoints`."""
    fake_github.enable_ci()
    endpoints = Endpoints()
    mine = {httpx2.URL(SLACK).host, httpx2.URL(ENDPOINT).host}

    def route(request: httpx2.Request) -> httpx2.Response:
        if request.url.host in mine:
            return endpoints(request)
        return fake_github.transport.handler(request)  # type: ignore[no-any-return]

    settings = app_settings.model_copy(
        update={
            "plugins": "notify",
            "notify_slack_urls": SecretStr(SLACK),
            "notify_webhook_urls": ENDPOINT,
            "notify_webhook_secret": SecretStr(SECRET),
        }
    )
    factory = scripted_agents(model_http, clock)
    transport = httpx2.MockTransport(route)
    async with (
        httpx2.AsyncClient(transport=transport, base_url=fake_github.api_url) as http,
        running_app(
            settings, http, agent_factory=factory, github_sleep=recorder(github_sleeps)
        ) as app,
    ):
        yield app, endpoints


async def test_a_project_notifies_slack_and_the_signed_endpoint_of_each_step(
    notify_app: tuple[RunningApp, Endpoints], fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    app, endpoints = notify_app
    set_options(fake_github, AUTO)
    ScriptedProject(phases=1).install(scripted_model)
    await start_project(app, fake_github)
    assert (await project_of(app)).status is ProjectStatus.DONE
    hooks = ["project_started", "plan_ready", "plan_approved", "phase_opened"]
    hooks += ["phase_reviewed", "phase_merged", "project_done"]
    lines = [json.loads(r.content)["text"] for r in endpoints.to(SLACK)]
    assert len(lines) == len(hooks)
    assert lines[0].endswith(":rocket: Project started by writer")
    assert ":tada: Done: final pull request <" in lines[-1]
    bodies = [verified(r) for r in endpoints.to(ENDPOINT)]
    assert [body["hook"] for body in bodies] == hooks
    keys = [r.headers[DELIVERY_HEADER] for r in endpoints.to(ENDPOINT)]
    assert keys == [body["event"]["key"] for body in bodies] and len(set(keys)) == len(keys)
