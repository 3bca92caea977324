"""Who may act: a person's permission on a repository, as GitHub reports it.

`author_association` in payloads is computed without a viewer (private org members show up as
CONTRIBUTOR), so it is never used here: GitHub is asked for the collaborator's role.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import cachetools
import gidgethub

from bot.github.client import GitHubClient

WRITE_ROLES = frozenset({"admin", "maintain", "write"})
PERMISSION_URL = "/repos/{owner}/{repo}/collaborators/{username}/permission"

CacheKey = tuple[int | None, str, str, str]


class PermissionCache:
    """Answers of `can_write` for a few minutes, keyed by installation, repository and user."""

    def __init__(
        self,
        *,
        ttl: float = 300.0,
        maxsize: int = 4096,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cache: cachetools.TTLCache[CacheKey, bool] = cachetools.TTLCache(maxsize, ttl, timer)

    def get(self, key: CacheKey) -> bool | None:
        return self._cache.get(key)

    def put(self, key: CacheKey, allowed: bool) -> None:
        self._cache[key] = allowed

    def clear(self) -> None:
        self._cache.clear()


async def can_write(
    gh: GitHubClient,
    *,
    owner: str,
    repo: str,
    username: str,
    cache: PermissionCache | None = None,
    installation_id: int | None = None,
) -> bool:
    """True when `username` has the admin, maintain or write role on `owner/repo`."""
    # Logins and repository names are case-insensitive on GitHub.
    key: CacheKey = (installation_id, owner.lower(), repo.lower(), username.lower())
    if cache is not None and (known := cache.get(key)) is not None:
        return known
    allowed = await _ask_github(gh, owner=owner, repo=repo, username=username)
    if cache is not None:
        cache.put(key, allowed)
    return allowed


async def _ask_github(gh: GitHubClient, *, owner: str, repo: str, username: str) -> bool:
    url_vars = {"owner": owner, "repo": repo, "username": username}
    try:
        answer = await gh.getitem(PERMISSION_URL, url_vars)
    except gidgethub.BadRequest as exc:
        if exc.status_code == 404:  # not a collaborator, or no such user
            return False
        raise
    # `permission` is legacy (maintain reads as write, triage as read); a custom role keeps
    # its own name in `role_name` but shows what it grants in `user.permissions`.
    if answer.get("role_name") in WRITE_ROLES:
        return True
    user = answer.get("user") or {}
    return bool((user.get("permissions") or {}).get("push"))


def is_bot(user: Mapping[str, Any]) -> bool:
    """A GitHub user object that is a bot (an app's `[bot]` account included)."""
    return user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]")
