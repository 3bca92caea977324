"""What the access layer keeps per process: keys, and short-lived answers of GitHub.

Built from the app's `Runtime` on first use and again whenever its settings change (setup
mode leaving). Caches are keyed by user id, or by a SHA-256 of a bearer token, never by a
token itself.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Protocol

import cachetools
import httpx2
from starlette.requests import Request

from bot.deps import Deps
from bot.github.client import GitHubClient
from bot.settings import Settings
from bot.web.access.crypto import Keys, NoSessionSecret, session_secret
from bot.web.access.errors import Unavailable
from storage.db import SessionMaker

NOT_CONFIGURED = "the GitHub App is not configured yet"
# How long GitHub's answers about a person are trusted: who a token belongs to, and which
# repositories they can read. Write permission is asked again on every POST.
IDENTITY_TTL = 300.0
VISIBILITY_TTL = 180.0
CACHE_SIZE = 4096


class RuntimeLike(Protocol):
    """The parts of `bot.web.app.Runtime` used here (that module imports this package)."""

    settings: Settings
    sessions: SessionMaker
    http: httpx2.AsyncClient
    deps: Deps | None


@dataclass(frozen=True)
class Identity:
    user_id: int
    login: str


@dataclass(frozen=True)
class RepoAccess:
    repo_id: int
    full_name: str
    installation_id: int


@dataclass
class AccessState:
    settings: Settings
    keys: Keys
    deps: Deps
    identities: cachetools.TTLCache[str, Identity] = field(
        default_factory=lambda: cachetools.TTLCache(CACHE_SIZE, IDENTITY_TTL)
    )
    visible: cachetools.TTLCache[int, dict[int, RepoAccess]] = field(
        default_factory=lambda: cachetools.TTLCache(CACHE_SIZE, VISIBILITY_TTL)
    )
    # One refresh of a session's token at a time in this process (a refresh token works once).
    refreshing: dict[str, asyncio.Lock] = field(default_factory=dict)

    @property
    def sessions(self) -> SessionMaker:
        return self.deps.sessions

    @property
    def http(self) -> httpx2.AsyncClient:
        return self.deps.http

    def user_client(self, token: str) -> GitHubClient:
        """A client acting as the person whose token this is (no ETag cache: per person)."""
        return GitHubClient(
            self.http,
            api_url=self.settings.github_api_url,
            api_version=self.settings.github_api_version,
            oauth_token=token,
        )

    def lock_for(self, key: str) -> asyncio.Lock:
        return self.refreshing.setdefault(key, asyncio.Lock())


def access_state(request: Request) -> AccessState:
    runtime: RuntimeLike = request.app.state.runtime
    if runtime.deps is None:
        raise Unavailable(NOT_CONFIGURED)
    state: AccessState | None = getattr(request.app.state, "access", None)
    if state is None or state.settings is not runtime.settings or state.deps is not runtime.deps:
        try:
            keys = Keys(session_secret(runtime.settings))
        except NoSessionSecret:
            raise Unavailable(NOT_CONFIGURED) from None
        state = AccessState(runtime.settings, keys, runtime.deps)
        request.app.state.access = state
    return state
