"""GitHub's web flow for a GitHub App's user-to-server tokens: the authorize URL, and the
code or refresh token exchanged for tokens at `{GITHUB_WEB_URL}/login/oauth/access_token`.

GitHub answers a failed exchange with 200 and `{"error": ...}`; those become `OAuthFailed`,
whose message names the error code and never a token. With token expiry on (GitHub's default
for Apps) an access token lasts eight hours and a refresh token, single-use, six months.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

import httpx2

from bot.settings import Settings
from storage.types import utcnow

AUTHORIZE_PATH = "/login/oauth/authorize"
ACCESS_TOKEN_PATH = "/login/oauth/access_token"


class OAuthFailed(Exception):
    """GitHub refused the exchange, or did not answer it."""


class NoOAuthClient(Exception):
    """GITHUB_CLIENT_ID or GITHUB_CLIENT_SECRET is not set."""


@dataclass(frozen=True)
class Grant:
    access_token: str = field(repr=False)
    access_expires_at: datetime | None
    refresh_token: str | None = field(repr=False)
    refresh_expires_at: datetime | None


def _client(settings: Settings) -> tuple[str, str]:
    if not settings.github_client_id or settings.github_client_secret is None:
        raise NoOAuthClient("GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET are needed for sign-in")
    return settings.github_client_id, settings.github_client_secret.get_secret_value()


def authorize_url(settings: Settings, *, state: str, redirect_uri: str) -> str:
    client_id, _ = _client(settings)
    query = urlencode({"client_id": client_id, "redirect_uri": redirect_uri, "state": state})
    return f"{settings.github_web_url}{AUTHORIZE_PATH}?{query}"


def _at(now: datetime, seconds: object) -> datetime | None:
    return now + timedelta(seconds=int(seconds)) if isinstance(seconds, int) else None


def _grant(answer: object) -> Grant:
    if not isinstance(answer, dict) or "error" in answer or "access_token" not in answer:
        code = answer.get("error", "no token") if isinstance(answer, dict) else "not JSON"
        raise OAuthFailed(f"GitHub refused the sign-in: {str(code)[:100]}")
    now = utcnow()
    refresh = answer.get("refresh_token")
    return Grant(
        access_token=str(answer["access_token"]),
        access_expires_at=_at(now, answer.get("expires_in")),
        refresh_token=str(refresh) if refresh else None,
        refresh_expires_at=_at(now, answer.get("refresh_token_expires_in")),
    )


async def _exchange(http: httpx2.AsyncClient, settings: Settings, fields: dict[str, str]) -> Grant:
    client_id, client_secret = _client(settings)
    body = {"client_id": client_id, "client_secret": client_secret, **fields}
    url = f"{settings.github_web_url}{ACCESS_TOKEN_PATH}"
    try:
        response = await http.post(url, json=body, headers={"accept": "application/json"})
        answer = response.json()
    except (httpx2.HTTPError, ValueError) as exc:
        raise OAuthFailed(f"GitHub did not answer the sign-in: {type(exc).__name__}") from None
    return _grant(answer)


async def exchange_code(
    http: httpx2.AsyncClient, settings: Settings, *, code: str, redirect_uri: str
) -> Grant:
    return await _exchange(http, settings, {"code": code, "redirect_uri": redirect_uri})


async def refresh(http: httpx2.AsyncClient, settings: Settings, *, refresh_token: str) -> Grant:
    fields = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return await _exchange(http, settings, fields)
