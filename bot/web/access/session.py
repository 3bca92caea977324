"""Who is asking: the session cookie for pages, a bearer token for the API.

The session cookie is signed (HMAC), `HttpOnly`, `SameSite=Lax`, and holds only a random
session id. The person's GitHub tokens stay server-side in `web_sessions`, encrypted, found by
the id's SHA-256: the browser never holds them, a refresh (GitHub rotates the refresh token
on every use) is stored once for all tabs and processes, and signing out ends the session for
good. `user_token` gives the token back when GitHub must be asked, refreshed when it expires.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

import gidgethub
import httpx2
from starlette.requests import Request
from starlette.responses import Response

from bot.web.access.crypto import digest
from bot.web.access.errors import Unauthorized, Unavailable
from bot.web.access.oauth import Grant, OAuthFailed, refresh
from bot.web.access.state import AccessState, Identity, access_state
from bot.web.access.viewer import Source, Viewer
from storage.db import transaction
from storage.types import utcnow
from storage.web_sessions import WebSession, add_session, end_session, find_session, swap_tokens

log = logging.getLogger(__name__)

SESSION_COOKIE = "ai_orchestrator_session"
SESSION_LIFETIME = timedelta(days=14)
# A token this close to its expiry is refreshed before use.
REFRESH_MARGIN = timedelta(minutes=2)
BAD_TOKEN = "the token is missing, malformed, expired or revoked"
SIGNED_OUT = "your sign-in has expired: sign in again"
GITHUB_DOWN = "GitHub did not answer: try again in a moment"
MAX_TOKEN_LENGTH = 255


# ---- the cookie ------------------------------------------------------------------------------


def session_id(request: Request, state: AccessState) -> str | None:
    """The session id of the request's cookie, if its signature holds."""
    signed = request.cookies.get(SESSION_COOKIE)
    if not signed:
        return None
    return state.keys.unsign(signed, max_age=SESSION_LIFETIME.total_seconds())


def secure_cookies(request: Request, state: AccessState) -> bool:
    public = state.settings.public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


def set_session_cookie(response: Response, request: Request, state: AccessState, sid: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        state.keys.sign(sid),
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, state),
    )


def clear_session_cookie(response: Response, request: Request, state: AccessState) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=secure_cookies(request, state)
    )


# ---- sessions --------------------------------------------------------------------------------


def _viewer(state: AccessState, identity: Identity, source: Source, key: str | None) -> Viewer:
    admin = identity.login.lower() in state.settings.admin_logins
    return Viewer(identity.login, identity.user_id, admin, source, session_key=key)


async def start_session(state: AccessState, identity: Identity, grant: Grant) -> str:
    """Stores a new session with its tokens encrypted; returns the id for the cookie."""
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + SESSION_LIFETIME
    if grant.refresh_expires_at is not None:
        expires = min(expires, grant.refresh_expires_at)
    elif grant.access_expires_at is not None:
        expires = min(expires, grant.access_expires_at)  # nothing to refresh it with
    row = WebSession(
        key=digest(sid),
        user_id=identity.user_id,
        login=identity.login,
        access_token=state.keys.encrypt(grant.access_token),
        access_expires_at=grant.access_expires_at,
        refresh_token=state.keys.encrypt(grant.refresh_token) if grant.refresh_token else None,
        refresh_expires_at=grant.refresh_expires_at,
        created_at=now,
        expires_at=expires,
    )
    async with transaction(state.sessions) as session:
        await add_session(session, row)
    return sid


async def close_session(state: AccessState, key: str) -> None:
    async with transaction(state.sessions) as session:
        await end_session(session, key)


async def _row(state: AccessState, key: str) -> WebSession | None:
    async with state.sessions() as session:
        return await find_session(session, key)


async def viewer_of(request: Request) -> Viewer | None:
    """The signed-in viewer, or None (no cookie, a bad signature, an expired session, or no
    App configured yet). Read once per request."""
    if "viewer" in request.scope.get("state", {}):
        found: Viewer | None = request.state.viewer
        return found
    try:
        state = access_state(request)
    except Unavailable:
        return None
    sid = session_id(request, state)
    row = None if sid is None else await _row(state, digest(sid))
    viewer = None
    if row is not None:
        viewer = _viewer(state, Identity(row.user_id, row.login), Source.SESSION, row.key)
    request.state.viewer = viewer
    return viewer


# ---- the bearer token ------------------------------------------------------------------------


def bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() not in {"bearer", "token"} or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    if not token.isascii() or not token.isprintable() or " " in token:
        return None
    return token


async def identify(state: AccessState, token: str) -> Identity:
    """Who the token belongs to (`GET /user`), cached by the token's SHA-256."""
    key = digest(token)
    if (known := state.identities.get(key)) is not None:
        return known
    try:
        user = await state.user_client(token).getitem("/user")
    except gidgethub.BadRequest as exc:
        if exc.status_code in (401, 403):
            raise Unauthorized(BAD_TOKEN) from None
        raise Unavailable(GITHUB_DOWN) from None
    except (gidgethub.GitHubException, httpx2.HTTPError):
        raise Unavailable(GITHUB_DOWN) from None
    identity = Identity(int(user["id"]), str(user["login"]))
    state.identities[key] = identity
    return identity


async def api_viewer(request: Request) -> Viewer:
    """The viewer of `Authorization: Bearer <GitHub user token>`; `Unauthorized` otherwise."""
    token = bearer(request)
    if token is None:
        raise Unauthorized(BAD_TOKEN)
    state = access_state(request)
    identity = await identify(state, token)
    return _viewer(state, identity, Source.API, None)


# ---- the person's token, when GitHub must be asked -------------------------------------------


def _fresh(expires_at: datetime | None) -> bool:
    return expires_at is None or expires_at - REFRESH_MARGIN > utcnow()


async def user_token(request: Request, viewer: Viewer) -> str:
    """The viewer's GitHub token: the bearer token, or the session's, refreshed if due."""
    state = access_state(request)
    if viewer.source is Source.API:
        token = bearer(request)
        if token is None:
            raise Unauthorized(BAD_TOKEN)
        return token
    assert viewer.session_key is not None
    row = await _row(state, viewer.session_key)
    if row is None:
        raise Unauthorized(SIGNED_OUT)
    if not _fresh(row.access_expires_at):
        row = await _refreshed(state, row)
    token = state.keys.decrypt(row.access_token)
    if token is None:  # SESSION_SECRET changed since sign-in
        await close_session(state, row.key)
        raise Unauthorized(SIGNED_OUT)
    return token


async def _refreshed(state: AccessState, row: WebSession) -> WebSession:
    async with state.lock_for(row.key):
        current = await _row(state, row.key)  # another request may have refreshed it
        if current is None:
            raise Unauthorized(SIGNED_OUT)
        if current.access_token != row.access_token:
            return current
        grant = await _new_grant(state, current)
        stored = replace_tokens(state, current, grant)
        async with transaction(state.sessions) as session:
            swapped = await swap_tokens(
                session,
                key=current.key,
                old_access_token=current.access_token,
                access_token=stored.access_token,
                access_expires_at=stored.access_expires_at,
                refresh_token=stored.refresh_token,
                refresh_expires_at=stored.refresh_expires_at,
            )
        if not swapped:  # another process stored its refresh first: use that one
            again = await _row(state, row.key)
            if again is None:
                raise Unauthorized(SIGNED_OUT)
            return again
        log.info("refreshed the GitHub token of %s's session", current.login)
        return stored


async def _new_grant(state: AccessState, row: WebSession) -> Grant:
    refresh_token = state.keys.decrypt(row.refresh_token) if row.refresh_token else None
    if refresh_token is None or not _fresh(row.refresh_expires_at):
        await close_session(state, row.key)
        raise Unauthorized(SIGNED_OUT)
    try:
        return await refresh(state.http, state.settings, refresh_token=refresh_token)
    except OAuthFailed as exc:
        log.warning("could not refresh %s's GitHub token: %s", row.login, exc)
        await close_session(state, row.key)
        raise Unauthorized(SIGNED_OUT) from None


def replace_tokens(state: AccessState, row: WebSession, grant: Grant) -> WebSession:
    """The row with the grant's tokens, encrypted (a grant without a new refresh token keeps
    the old one)."""
    refresh_token = row.refresh_token
    refresh_expires = row.refresh_expires_at
    if grant.refresh_token:
        refresh_token = state.keys.encrypt(grant.refresh_token)
        refresh_expires = grant.refresh_expires_at
    values = {
        "access_token": state.keys.encrypt(grant.access_token),
        "access_expires_at": grant.access_expires_at,
        "refresh_token": refresh_token,
        "refresh_expires_at": refresh_expires,
    }
    return row.model_copy(update=values)


__all__ = [
    "SESSION_COOKIE",
    "api_viewer",
    "clear_session_cookie",
    "close_session",
    "set_session_cookie",
    "start_session",
    "user_token",
    "viewer_of",
]
