"""Sign-in with GitHub (the App's own OAuth client, user-to-server tokens) and sign-out.

`/login` remembers a random `state` (and where to go after) in a short-lived signed cookie
and sends the browser to GitHub; GitHub sends it back to `/login/callback` with a code and
that `state`, which must match; the code becomes tokens, `GET /user` says who signed in, and
the session starts. `/logout` (POST, with its CSRF token) ends it.
"""

from __future__ import annotations

import html
import logging
import secrets

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.web.access.crypto import digest
from bot.web.access.csrf import check_csrf
from bot.web.access.errors import AccessError
from bot.web.access.oauth import NoOAuthClient, OAuthFailed, authorize_url, exchange_code
from bot.web.access.paths import CALLBACK_PATH, LOGIN_PATH, LOGOUT_PATH
from bot.web.access.session import (
    clear_session_cookie,
    close_session,
    identify,
    secure_cookies,
    session_id,
    set_session_cookie,
    start_session,
)
from bot.web.access.state import AccessState, access_state

log = logging.getLogger(__name__)

__all__ = ["CALLBACK_PATH", "LOGIN_PATH", "LOGOUT_PATH", "access_routes"]

STATE_COOKIE = "ai_orchestrator_oauth"
STATE_LIFETIME = 600  # seconds to come back from GitHub
PAGE = "<!doctype html><title>AI Orchestrator: sign-in</title><h1>{title}</h1><p>{text}</p>"
NO_CLIENT = (
    "Sign-in needs the App's OAuth client: set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET "
    "(setup mode saves both when it registers the App)."
)
BAD_STATE = "This sign-in did not start here, or took too long. <a href='/login'>Try again</a>."
DENIED = "GitHub did not sign you in ({reason}). <a href='/login'>Try again</a>."


def _page(title: str, text: str, status: int) -> HTMLResponse:
    response = HTMLResponse(PAGE.format(title=html.escape(title), text=text), status_code=status)
    response.headers["cache-control"] = "no-store"
    return response


def _callback_url(request: Request, state: AccessState) -> str:
    base = state.settings.public_url or str(request.base_url).rstrip("/")
    return f"{base}{CALLBACK_PATH}"


def _next(value: str | None) -> str:
    """Where to go after signing in: a path of this site only (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


async def login(request: Request) -> Response:
    state = access_state(request)
    nonce = secrets.token_urlsafe(24)
    target = _next(request.query_params.get("next"))
    try:
        url = authorize_url(state.settings, state=nonce, redirect_uri=_callback_url(request, state))
    except NoOAuthClient:
        return _page("Sign-in is not set up", NO_CLIENT, 503)
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(
        STATE_COOKIE,
        state.keys.sign(f"{nonce}|{target}"),
        max_age=STATE_LIFETIME,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, state),
        path=CALLBACK_PATH,
    )
    return response


def _remembered(request: Request, state: AccessState) -> tuple[str, str] | None:
    signed = request.cookies.get(STATE_COOKIE, "")
    value = state.keys.unsign(signed, max_age=STATE_LIFETIME) if signed else None
    if value is None:
        return None
    nonce, _, target = value.partition("|")
    given = request.query_params.get("state", "")
    if not given or not secrets.compare_digest(nonce.encode(), given.encode()):
        return None
    return nonce, _next(target)


async def callback(request: Request) -> Response:
    state = access_state(request)
    if (error := request.query_params.get("error")) is not None:
        return _page("Not signed in", DENIED.format(reason=html.escape(error[:100])), 403)
    remembered = _remembered(request, state)
    code = request.query_params.get("code", "")
    if remembered is None or not code:
        return _page("Not signed in", BAD_STATE, 400)
    try:
        grant = await exchange_code(
            state.http, state.settings, code=code, redirect_uri=_callback_url(request, state)
        )
        identity = await identify(state, grant.access_token)
    except (OAuthFailed, NoOAuthClient, AccessError) as exc:
        log.warning("sign-in failed: %s", exc)
        return _page("Not signed in", html.escape(str(exc)), 502)
    sid = await start_session(state, identity, grant)
    log.info("%s signed in", identity.login)
    response = RedirectResponse(remembered[1], status_code=303)
    response.delete_cookie(STATE_COOKIE, path=CALLBACK_PATH)
    set_session_cookie(response, request, state, sid)
    response.headers["cache-control"] = "no-store"
    return response


async def logout(request: Request) -> Response:
    state = access_state(request)
    await check_csrf(request)
    sid = session_id(request, state)
    if sid is not None:
        await close_session(state, digest(sid))
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response, request, state)
    return response


def access_routes() -> list[BaseRoute]:
    return [
        Route(LOGIN_PATH, login, methods=["GET"]),
        Route(CALLBACK_PATH, callback, methods=["GET"]),
        Route(LOGOUT_PATH, logout, methods=["POST"]),
    ]
