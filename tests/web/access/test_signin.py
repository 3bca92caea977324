"""Sign-in with GitHub through the fake's OAuth endpoints: state, session cookie, tokens kept
encrypted server-side, refresh when they expire, sign-out with CSRF, and security headers."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.web.access import CSRF_FIELD, Unauthorized, Viewer, csrf_token, viewer_of
from bot.web.access.session import SESSION_COOKIE, user_token
from bot.web.access.viewer import Source
from storage.db import transaction
from storage.types import utcnow
from storage.web_sessions import WebSession
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.web.access.requests import request_for
from tests.web.signin import sign_in


async def _sessions(app: RunningApp) -> list[WebSession]:
    async with app.runtime.sessions() as session:
        return list((await session.exec(select(WebSession))).all())


async def test_sign_in_starts_a_session_with_a_signed_httponly_lax_cookie(
    access_app: RunningApp, fake_github: FakeGitHub
) -> None:
    started = await access_app.client.get("/login", params={"next": "/projects/3"})
    location = started.headers["location"]
    assert location.startswith("https://github.test/login/oauth/authorize?")
    assert f"client_id={fake_github.app.client_id}" in location and "state=" in location
    back = fake_github.person_authorizes("writer", location)
    answered = await access_app.client.get(back.removeprefix("http://testserver"))

    assert answered.status_code == 303 and answered.headers["location"] == "/projects/3"
    cookie = next(h for h in answered.headers.get_list("set-cookie") if SESSION_COOKIE in h)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    viewer = await viewer_of(request_for(access_app))
    assert viewer is not None and (viewer.login, viewer.admin) == ("writer", False)
    assert viewer.source is Source.SESSION
    [row] = await _sessions(access_app)
    assert row.login == "writer" and row.refresh_token is not None
    exchanges = [r for r in fake_github.downloads if r.path == "/login/oauth/access_token"]
    assert [r.json["code"] for r in exchanges] == [back.split("code=")[1].split("&")[0]]


async def test_the_admins_are_the_logins_in_dashboard_admins(
    access_app: RunningApp, fake_github: FakeGitHub
) -> None:
    await sign_in(access_app, fake_github, "octocat")
    viewer = await viewer_of(request_for(access_app))
    assert viewer is not None and viewer.admin


async def test_a_callback_whose_state_is_not_ours_signs_nobody_in(
    access_app: RunningApp, fake_github: FakeGitHub
) -> None:
    started = await access_app.client.get("/login")
    forged = started.headers["location"].replace("state=", "state=x")
    back = fake_github.person_authorizes("writer", forged)
    answered = await access_app.client.get(back.removeprefix("http://testserver"))

    assert answered.status_code == 400
    assert await _sessions(access_app) == []
    assert await viewer_of(request_for(access_app)) is None


async def test_a_cookie_with_a_bad_signature_is_signed_out(
    access_app: RunningApp, fake_github: FakeGitHub
) -> None:
    await sign_in(access_app, fake_github, "writer")
    value = access_app.client.cookies[SESSION_COOKIE]
    access_app.client.cookies.clear()
    access_app.client.cookies[SESSION_COOKIE] = value[:-3] + "AAA"
    assert await viewer_of(request_for(access_app)) is None


async def test_login_never_redirects_to_another_site(
    access_app: RunningApp, fake_github: FakeGitHub
) -> None:
    await sign_in(access_app, fake_github, "writer", next_path="/")
    access_app.client.cookies.clear()
    started = await access_app.client.get("/login", params={"next": "//evil.example/x"})
    back = fake_github.person_authorizes("writer", started.headers["location"])
    answered = await access_app.client.get(back.removeprefix("http://testserver"))
    assert answered.headers["location"] == "/"


async def _expire_access_token(app: RunningApp) -> None:
    async with transaction(app.runtime.sessions) as session:
        for row in (await session.exec(select(WebSession))).all():
            row.access_expires_at = utcnow() - timedelta(minutes=1)
            session.add(row)


async def test_an_expired_token_is_refreshed_once_and_stored_encrypted(
    access_app: RunningApp, fake_github: FakeGitHub
) -> None:
    await sign_in(access_app, fake_github, "writer")
    first = await user_token(request_for(access_app), await _viewer_of(access_app))
    await _expire_access_token(access_app)
    [before] = await _sessions(access_app)

    refreshed = await user_token(request_for(access_app), await _viewer_of(access_app))
    again = await user_token(request_for(access_app), await _viewer_of(access_app))

    assert refreshed != first and again == refreshed
    assert fake_github.user_for_token(refreshed) is not None
    grants = [r.json.get("grant_type") for r in fake_github.downloads if r.json]
    assert grants == [None, "refresh_token"]  # the code, then one refresh
    [after] = await _sessions(access_app)
    assert after.refresh_token != before.refresh_token  # GitHub rotated it
    assert after.access_expires_at is not None and after.access_expires_at > utcnow()


async def test_a_refused_refresh_signs_the_person_out(
    access_app: RunningApp, fake_github: FakeGitHub
) -> None:
    await sign_in(access_app, fake_github, "writer")
    await _expire_access_token(access_app)
    fake_github.oauth.refresh_tokens.clear()  # revoked on GitHub

    with pytest.raises(Unauthorized):
        await user_token(request_for(access_app), await _viewer_of(access_app))
    assert await _sessions(access_app) == []


async def _viewer_of(app: RunningApp) -> Viewer:
    viewer = await viewer_of(request_for(app))
    assert viewer is not None
    return viewer


async def test_sign_out_needs_the_csrf_token(
    access_app: RunningApp, fake_github: FakeGitHub
) -> None:
    await sign_in(access_app, fake_github, "writer")
    refused = await access_app.client.post("/logout", data={})
    forged = await access_app.client.post("/logout", data={CSRF_FIELD: "guess"})
    assert (refused.status_code, forged.status_code) == (403, 403)
    assert len(await _sessions(access_app)) == 1

    token = csrf_token(request_for(access_app))
    cross = await access_app.client.post(
        "/logout", data={CSRF_FIELD: token}, headers={"origin": "https://evil.example"}
    )
    assert cross.status_code == 403
    done = await access_app.client.post("/logout", data={CSRF_FIELD: token})
    assert done.status_code == 303
    assert await _sessions(access_app) == []


async def test_no_token_reaches_a_log_line_or_a_database_row(
    access_app: RunningApp, fake_github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await sign_in(access_app, fake_github, "writer")
    await _expire_access_token(access_app)
    await user_token(request_for(access_app), await _viewer_of(access_app))

    secrets = [*fake_github.oauth.tokens, *fake_github.oauth.refresh_tokens]
    assert len(secrets) == 3  # two access tokens, the live refresh token
    [row] = await _sessions(access_app)
    stored = " ".join(str(value) for value in row.model_dump().values())
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in stored
    # The one-time code stays out of the app's own lines (the access log drops the query);
    # the test client's own httpx2 line is not the app's.
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert any("/login/callback" in line for line in ours)
    assert not any("code=" in line for line in ours)


async def test_every_answer_carries_the_security_headers(access_app: RunningApp) -> None:
    for path in ("/login", "/health", "/api/v1/openapi.json", "/no-such-page"):
        answer = await access_app.client.get(path)
        policy = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
