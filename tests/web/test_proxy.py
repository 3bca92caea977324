"""The webhook proxy: smee.io's messages turned back into GitHub's webhooks and delivered to
/webhooks, against a local SSE server standing in for smee.io."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette

from bot.settings import Settings
from bot.web.app import Runtime, create_app
from bot.web.proxy import Backoff, ChannelError, ProxyConfig, WebhookProxy, create_channel
from bot.web.relay import NotAWebhook, github_json, relayed
from storage.db import SessionMaker
from storage.deliveries import Delivery, get_delivery
from tests.apphelpers import webhook_headers
from tests.fakegithub import FakeGitHub
from tests.githubdata import webhook_examples
from tests.web.smee import LocalSmee, serving, smee_data
from tests.web.test_setup_mode import Textareas, registration_form

# A body as GitHub writes it: compact, UTF-8 as it is, control characters as upper-case \u
# escapes; and an escaped backslash before "u0041", which is text, not an escape.
GITHUB_BODY = (
    b'{"action":"opened","issue":{"number":7,"title":"Caf\xc3\xa9 \xf0\x9f\x9a\x80 <b>&</b>",'
    b'"body":"line\\nnext \\"quoted\\" \\u001B[1mbold\\u001B[0m \\\\u0041 https://x.test/a/b"},'
    b'"repository":{"id":1296269,"full_name":"octocat/Hello-World"},"installation":{"id":42},'
    b'"sender":{"login":"octocat","type":"User"}}'
)
PING = b'{"zen":"Design for failure.","hook_id":1}'
FAST = Backoff(first=0.01, cap=0.05)
READY = "id: 0\nevent: ready\ndata: {}\n\n"


@pytest.fixture
async def smee() -> AsyncIterator[LocalSmee]:
    async with serving(LocalSmee()) as server:
        yield server


# ---- one message, back into a webhook ------------------------------------------------------


def test_the_body_is_written_back_as_the_bytes_github_signed() -> None:
    headers = webhook_headers("issues", GITHUB_BODY, "secret")
    data = smee_data(headers, GITHUB_BODY)
    assert "\\u001b" in data and "\\u001B" not in data  # smee.io writes JavaScript's escapes

    request = relayed(data)

    assert request.body == GITHUB_BODY
    assert request.headers["x-hub-signature-256"] == headers["x-hub-signature-256"]


def test_every_example_payload_survives_smees_round_trip_byte_for_byte() -> None:
    for event, payloads in webhook_examples().items():
        for payload in payloads:
            body = github_json(payload)
            data = smee_data(webhook_headers(event, body, "secret"), body)

            assert relayed(data).body == body, event


def test_a_raw_body_the_channel_carries_is_posted_as_it_is() -> None:
    raw = '{\n  "zen": "Keep it logically awesome.",\n  "hook_id": 1\n}\n'
    data = smee_data(webhook_headers("ping", raw.encode(), "s"), raw.encode(), rawBody=raw)

    assert relayed(data).body == raw.encode()


def test_only_the_headers_webhooks_reads_are_passed_on() -> None:
    sent = {
        "x-github-event": "ping",
        "x-github-delivery": "d-1",
        "x-github-hook-id": "9",
        "x-hub-signature-256": "sha256=ab",
        "user-agent": "GitHub-Hookshot/abc",
        "content-type": "application/x-www-form-urlencoded",
        "x-forwarded-for": "203.0.113.9",
        "cookie": "session=stolen",
    }

    request = relayed(smee_data(sent, PING))

    assert request.headers == {
        "x-github-event": "ping",
        "x-github-delivery": "d-1",
        "x-github-hook-id": "9",
        "x-hub-signature-256": "sha256=ab",
        "user-agent": "GitHub-Hookshot/abc",
        "content-type": "application/json",
    }
    assert request.delivery_id == "d-1"


@pytest.mark.parametrize("data", ["not json", "[1, 2]", '{"x-github-event": "ping"}'])
def test_a_message_that_is_not_a_webhook_is_refused(data: str) -> None:
    with pytest.raises(NotAWebhook):
        relayed(data)


# ---- the stream --------------------------------------------------------------------------


def test_backoff_doubles_with_each_failure_up_to_the_cap_half_of_it_at_random() -> None:
    backoff = Backoff(first=1.0, cap=60.0)

    lowest = [backoff.delay(failures, draw=lambda: 0.0) for failures in range(8)]
    highest = [backoff.delay(failures, draw=lambda: 1.0) for failures in range(8)]

    assert highest == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert lowest == [delay / 2 for delay in highest]
    assert backoff.delay(10_000, draw=lambda: 1.0) == 60.0


class Stop(Exception):
    pass


async def test_failed_tries_back_off_and_a_stream_that_carried_an_event_resets_it() -> None:
    answers: list[httpx2.Response | Exception] = [
        httpx2.Response(503),
        httpx2.Response(200, text="<html>not a stream</html>"),
        httpx2.Response(200, headers={"content-type": "text/event-stream"}),  # closed at once
        httpx2.Response(200, headers={"content-type": "text/event-stream"}, text=READY),
        httpx2.ConnectError("gone"),
    ]
    delays: list[float] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        assert request.headers["accept"] == "text/event-stream"
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def sleep(delay: float) -> None:
        delays.append(delay)
        if not answers:
            raise Stop

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        proxy = WebhookProxy(
            "https://smee.example.test/c",
            stream_http=http,
            target=http,
            backoff=Backoff(first=1.0, cap=60.0),
            max_event_bytes=1024,
            sleep=sleep,
        )
        with pytest.raises(Stop):
            await proxy.run()

    ceilings = [2.0, 4.0, 8.0, 1.0, 2.0]  # failures in a row: 1, 2, 3, then 0 after `ready`, 1
    assert len(delays) == len(ceilings)
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True)), delays


async def test_a_channel_is_the_redirect_of_new_which_is_not_followed(smee: LocalSmee) -> None:
    async with httpx2.AsyncClient() as http:
        channel = await create_channel(http, smee.new_url)

    assert channel == smee.channel_url
    assert (smee.heads, smee.connections) == (1, 0)


@pytest.mark.parametrize(
    "answer",
    [httpx2.Response(200, text="no redirect"), httpx2.Response(307), httpx2.ConnectError("down")],
)
async def test_no_channel_without_a_redirect_to_one(answer: httpx2.Response | Exception) -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        assert (request.method, request.url.path) == ("HEAD", "/new")
        if isinstance(answer, Exception):
            raise answer
        return answer

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        with pytest.raises(ChannelError, match=r"smee\.example\.test"):
            await create_channel(http, "https://smee.example.test/new")


@asynccontextmanager
async def proxied_app(
    settings: Settings, fake: FakeGitHub, smee: LocalSmee
) -> AsyncIterator[tuple[Starlette, httpx2.AsyncClient]]:
    """The real app with its lifespan, its proxy reading `smee`, and a browser on loopback."""
    config = ProxyConfig(new_channel_url=smee.new_url, backoff=FAST)
    async with fake.client() as http:
        app = create_app(settings, http=http, proxy_config=config)
        async with app.router.lifespan_context(app):
            transport = httpx2.ASGITransport(app=app)
            async with httpx2.AsyncClient(
                transport=transport, base_url="http://127.0.0.1:8000"
            ) as browser:
                yield app, browser


async def stored(sessions: SessionMaker, delivery_id: str, timeout: float = 10.0) -> Delivery:
    async with asyncio.timeout(timeout):
        while True:
            async with sessions() as session:
                delivery = await get_delivery(session, delivery_id)
            if delivery is not None:
                return delivery
            await asyncio.sleep(0.02)


def signed(event: str, body: bytes, secret: str, delivery_id: str) -> str:
    return smee_data(webhook_headers(event, body, secret, delivery_id=delivery_id), body)


async def test_the_webhook_proxy_delivers_a_signed_event_to_webhooks_and_reconnects_after_the_server_drops_the_stream(  # noqa: E501
    app_settings: Settings, fake_github: FakeGitHub, smee: LocalSmee
) -> None:
    settings = app_settings.model_copy(update={"webhook_proxy_url": smee.channel_url})
    secret = settings.webhook_secret()
    smee.send(signed("issues", GITHUB_BODY, secret, "delivery-1"))
    smee.drop()
    smee.send(signed("ping", PING, secret, "delivery-2"))

    async with proxied_app(settings, fake_github, smee) as (app, _):
        runtime: Runtime = app.state.runtime
        first = await stored(runtime.sessions, "delivery-1")
        second = await stored(runtime.sessions, "delivery-2")

    assert (first.event, first.action, first.repository) == (
        "issues",
        "opened",
        "octocat/Hello-World",
    )
    assert first.payload == json.loads(GITHUB_BODY)
    assert second.payload == json.loads(PING)
    assert smee.sent_on == [1, 2]  # the second event came on a second connection
    assert smee.connections == 2


async def test_a_forged_event_is_refused_and_the_stream_goes_on(
    app_settings: Settings,
    fake_github: FakeGitHub,
    smee: LocalSmee,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = app_settings.model_copy(update={"webhook_proxy_url": smee.channel_url})
    smee.send(signed("issues", GITHUB_BODY, "not-the-apps-secret", "forged"))
    smee.send("a message that is no webhook")
    smee.send(signed("ping", PING, settings.webhook_secret(), "genuine"))
    caplog.set_level(logging.INFO, logger="bot.web.proxy")

    async with proxied_app(settings, fake_github, smee) as (app, _):
        runtime: Runtime = app.state.runtime
        await stored(runtime.sessions, "genuine")
        async with runtime.sessions() as session:
            assert await get_delivery(session, "forged") is None

    assert smee.connections == 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [getattr(r, "delivery_id", None) for r in warnings] == ["forged", None]
    assert "signature did not verify" in warnings[0].getMessage()
    assert smee.channel_url not in caplog.text  # the channel's address lets anyone read it


def laptop_settings(fake: FakeGitHub, database_url: str, env_file: Path, **more: Any) -> Settings:
    """A first run on a laptop: no App, no PUBLIC_URL, no WEBHOOK_PROXY_URL."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        github_api_url=fake.api_url,
        github_web_url=fake.urls.web,
        env_file_path=env_file,
        **more,
    )


async def test_on_a_laptop_setup_creates_a_channel_and_webhooks_arrive_through_it(
    fake_github: FakeGitHub, database_url: str, tmp_path: Path, smee: LocalSmee
) -> None:
    env_file = tmp_path / ".env"
    settings = laptop_settings(fake_github, database_url, env_file)

    async with proxied_app(settings, fake_github, smee) as (app, browser):
        manifest = await register(browser, fake_github)
        app_secret = next(
            a.webhook_secret for a in fake_github.state.apps.values() if a.id != fake_github.app_id
        )
        smee.send(signed("ping", PING, app_secret, "after-install"))
        delivery = await stored(app.state.runtime.sessions, "after-install")

    assert manifest["hook_attributes"]["url"] == smee.channel_url
    assert manifest["redirect_url"] == "http://127.0.0.1:8000/setup/callback"
    assert f"WEBHOOK_PROXY_URL={smee.channel_url}\n" in env_file.read_text()
    assert delivery.payload == json.loads(PING)
    assert (smee.heads, smee.connections) == (1, 1)


async def test_when_no_channel_can_be_had_the_page_says_so_and_tries_again_on_reload(
    fake_github: FakeGitHub, database_url: str, tmp_path: Path, smee: LocalSmee
) -> None:
    smee.refuse_new = True
    env_file = tmp_path / ".env"

    async with proxied_app(
        laptop_settings(fake_github, database_url, env_file), fake_github, smee
    ) as (_, browser):
        first = await browser.get("/")
        smee.refuse_new = False
        second = await browser.get("/")

    manifest = json.loads(registration_form(first.text).inputs["manifest"])
    assert manifest["hook_attributes"]["url"] == "http://127.0.0.1:8000/webhooks"
    port = httpx2.URL(smee.base_url).port
    assert f"but 127.0.0.1:{port} answered HTTP 503; reload" in first.text
    manifest = json.loads(registration_form(second.text).inputs["manifest"])
    assert manifest["hook_attributes"]["url"] == smee.channel_url
    assert smee.heads == 2


async def test_on_a_throwaway_disk_the_new_channel_is_among_the_values_to_set(
    fake_github: FakeGitHub, database_url: str, tmp_path: Path, smee: LocalSmee
) -> None:
    settings = laptop_settings(fake_github, database_url, tmp_path / ".env", setup_write_env=False)

    async with proxied_app(settings, fake_github, smee) as (_, browser):
        form = registration_form((await browser.get("/")).text)
        state = httpx2.URL(form.action).params["state"]
        code = fake_github.register_manifest_code(manifest=json.loads(form.inputs["manifest"]))
        done = await browser.get("/setup/callback", params={"code": code, "state": state})

    assert Textareas(done.text).values["WEBHOOK_PROXY_URL"] == smee.channel_url
    assert list(tmp_path.iterdir()) == []


async def register(browser: httpx2.AsyncClient, fake: FakeGitHub) -> dict[str, Any]:
    """Open setup, press Register (GitHub creates the App), come back: the manifest used."""
    form = registration_form((await browser.get("/")).text)
    manifest: dict[str, Any] = json.loads(form.inputs["manifest"])
    state = httpx2.URL(form.action).params["state"]
    code = fake.register_manifest_code(manifest=manifest)
    done = await browser.get("/setup/callback", params={"code": code, "state": state})
    assert done.status_code == 200, done.text
    assert "picked up the new credentials" in done.text
    return manifest
