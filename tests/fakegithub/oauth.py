"""GitHub's sign-in for a GitHub App (user-to-server tokens), on the fake's web host.

What GitHub does, and the fake with it:
- `GET {web}/login/oauth/authorize?client_id&redirect_uri&state`: GitHub asks the signed-in
  person to authorize the App, then redirects to `redirect_uri?code=…&state=…`. The fake
  answers that redirect for the person a test signed in (`fake.sign_in_web(login)`), or a test
  calls `fake.person_authorizes(login, url)` for the callback URL directly.
- `POST {web}/login/oauth/access_token` (`Accept: application/json`): a code (single use, ten
  minutes) or a refresh token (`grant_type=refresh_token`, single use: each refresh rotates
  it) for an access token `ghu_…` of eight hours and a refresh token `ghr_…` of six months.
  Errors answer 200 with `{"error": …}`, as GitHub does.
- The tokens then work on `/user…` routes (`routes_user.py`) and, acting as the person, on
  repository routes of repositories the App is installed on and the person can read.

Tokens are never put in `repr`s, so a failing assertion cannot print one.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2

from tests.fakegithub.model import App, Repo, User
from tests.fakegithub.routes_repos import role_of
from tests.fakegithub.transport import RecordedRequest
from tests.fakegithub.world import WorldMixin

ACCESS_LIFETIME = timedelta(hours=8)
REFRESH_LIFETIME = timedelta(days=184)
CODE_LIFETIME = timedelta(minutes=10)
AUTHORIZE_PATH = "/login/oauth/authorize"
ACCESS_TOKEN_PATH = "/login/oauth/access_token"
ERROR_URI = "https://docs.github.com/apps/oauth"


@dataclass
class UserToken:
    token: str = field(repr=False)
    user: User
    app_id: int
    expires_at: datetime | None  # None: a token that never expires (expiry turned off)
    revoked: bool = False


@dataclass
class Grant:
    """A code or a refresh token, and what it may be exchanged for."""

    user: User
    app_id: int
    expires_at: datetime
    redirect_uri: str | None = None


@dataclass
class OAuthState:
    tokens: dict[str, UserToken] = field(default_factory=dict)
    codes: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    web_user: str | None = None  # who is signed in at the fake's github.com
    expiring: bool = True  # the App's "expire user authorization tokens" setting


class OAuthMixin(WorldMixin):
    _oauth: OAuthState | None = None

    @property
    def oauth(self) -> OAuthState:
        if self._oauth is None:
            self._oauth = OAuthState()
        return self._oauth

    # ---- for tests -----------------------------------------------------------------------

    def user_token(
        self, login: str, *, app: App | None = None, lifetime: timedelta | None = ACCESS_LIFETIME
    ) -> str:
        """A user-to-server token of `login` for the App (what the sign-in or `gh` would get)."""
        chosen = app or self.app
        expires = None if lifetime is None else self.now() + lifetime
        token = UserToken(f"ghu_{secrets.token_urlsafe(27)}", self.user(login), chosen.id, expires)
        self.oauth.tokens[token.token] = token
        return token.token

    def sign_in_web(self, login: str | None) -> None:
        """The person signed in at the fake github.com (who `authorize` redirects for)."""
        self.oauth.web_user = login

    def person_authorizes(self, login: str, authorize_url: str) -> str:
        """The callback URL GitHub redirects to once `login` authorizes the App."""
        query = {key: values[0] for key, values in parse_qs(urlsplit(authorize_url).query).items()}
        app = self._app_by_client_id(query.get("client_id", ""))
        if app is None:
            raise ValueError(f"no App has the client id {query.get('client_id')!r}")
        redirect = query["redirect_uri"]
        code = secrets.token_hex(10)
        self.oauth.codes[code] = Grant(
            self.user(login), app.id, self.now() + CODE_LIFETIME, redirect
        )
        answer = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        return f"{redirect}{'&' if '?' in redirect else '?'}{urlencode(answer)}"

    def revoke_user_tokens(self, login: str) -> None:
        """The person revoked the App's authorization: every token of theirs stops working."""
        for token in self.oauth.tokens.values():
            if token.user.login.lower() == login.lower():
                token.revoked = True

    # ---- what the transport asks ---------------------------------------------------------

    def user_for_token(self, credential: str) -> UserToken | None:
        token = self.oauth.tokens.get(credential)
        if token is None or token.revoked:
            return None
        if token.expires_at is not None and token.expires_at <= self.now():
            return None
        return token

    def user_may_see(self, token: UserToken, repo: Repo) -> bool:
        """A user token reaches a repository the App is installed on and the person can read
        (the intersection of the App's and the person's access)."""
        app = self.state.apps[token.app_id]
        installed = self.installation_for(repo, app) is not None
        return installed and role_of(repo, token.user.login) != "none"

    # ---- the web host --------------------------------------------------------------------

    def serve_web(self, record: RecordedRequest) -> httpx2.Response:
        if record.method == "GET" and record.path == AUTHORIZE_PATH:
            return self._authorize(record)
        if record.method == "POST" and record.path == ACCESS_TOKEN_PATH:
            return self._access_token(record)
        return httpx2.Response(404, text="Not Found")

    def _authorize(self, record: RecordedRequest) -> httpx2.Response:
        if self.oauth.web_user is None:
            return httpx2.Response(200, text="Sign in to GitHub")  # the login page
        url = f"{AUTHORIZE_PATH}?{urlencode(record.query)}"
        try:
            location = self.person_authorizes(self.oauth.web_user, url)
        except (ValueError, KeyError):
            return httpx2.Response(404, text="Not Found")
        return httpx2.Response(302, headers={"location": location})

    def _access_token(self, record: RecordedRequest) -> httpx2.Response:
        fields: dict[str, Any] = {**record.query, **(record.json or {})}
        app = self._app_by_client_id(str(fields.get("client_id", "")))
        if app is None or fields.get("client_secret") != app.client_secret:
            return _error("incorrect_client_credentials", "The client_id and/or secret is wrong.")
        if fields.get("grant_type") == "refresh_token":
            grant = self.oauth.refresh_tokens.pop(str(fields.get("refresh_token", "")), None)
            failure = "bad_refresh_token"
        else:
            grant = self.oauth.codes.pop(str(fields.get("code", "")), None)
            failure = "bad_verification_code"
            wanted = fields.get("redirect_uri")
            if grant is not None and wanted is not None and wanted != grant.redirect_uri:
                return _error("redirect_uri_mismatch", "The redirect_uri does not match.")
        if grant is None or grant.app_id != app.id or grant.expires_at <= self.now():
            return _error(failure, "The code or refresh token is incorrect or expired.")
        return _json(self._issue(grant.user, app))

    def _issue(self, user: User, app: App) -> dict[str, Any]:
        if not self.oauth.expiring:
            token = self.user_token(user.login, app=app, lifetime=None)
            return {"access_token": token, "scope": "", "token_type": "bearer"}
        token = self.user_token(user.login, app=app)
        refresh = f"ghr_{secrets.token_urlsafe(54)}"
        self.oauth.refresh_tokens[refresh] = Grant(user, app.id, self.now() + REFRESH_LIFETIME)
        return {
            "access_token": token,
            "expires_in": int(ACCESS_LIFETIME.total_seconds()),
            "refresh_token": refresh,
            "refresh_token_expires_in": int(REFRESH_LIFETIME.total_seconds()),
            "scope": "",
            "token_type": "bearer",
        }

    def _app_by_client_id(self, client_id: str) -> App | None:
        return next((a for a in self.state.apps.values() if a.client_id == client_id), None)


def _json(body: dict[str, Any]) -> httpx2.Response:
    return httpx2.Response(
        200, headers={"content-type": "application/json"}, content=json.dumps(body).encode()
    )


def _error(code: str, description: str) -> httpx2.Response:
    return _json({"error": code, "error_description": description, "error_uri": ERROR_URI})
