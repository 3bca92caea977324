"""GitHub App credentials: App JWTs and the cache of installation access tokens.

Nothing here logs or shows a token, a JWT or the private key.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import cachetools
import gidgethub.apps

# An installation token is reused until this long before GitHub says it expires.
TOKEN_REFRESH_MARGIN = 60.0
_TOKEN_CACHE_SIZE = 10_000


def app_jwt(app_id: int, private_key: str) -> str:
    """An App JWT: RS256, `iat` 60 s in the past, `exp` under GitHub's 10-minute limit."""
    return gidgethub.apps.get_jwt(app_id=str(app_id), private_key=private_key)


@dataclass(frozen=True)
class InstallationToken:
    token: str
    expires_at: float  # epoch seconds
    # What the installation granted (`{"contents": "write", …}`), from the same answer: the
    # app learns whether it may write workflows without another request.
    permissions: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # never show the token itself
        return f"InstallationToken(expires_at={self.expires_at})"

    @classmethod
    def from_response(cls, data: Mapping[str, Any]) -> InstallationToken:
        """From the answer to `POST /app/installations/{id}/access_tokens`."""
        expires_at = datetime.fromisoformat(str(data["expires_at"])).timestamp()
        granted = data.get("permissions") or {}
        permissions = {str(name): str(level) for name, level in granted.items()}
        return cls(token=str(data["token"]), expires_at=expires_at, permissions=permissions)


def _time_to_use(_key: int, value: InstallationToken, _now: float) -> float:
    return value.expires_at - TOKEN_REFRESH_MARGIN


class TokenCache:
    """Installation tokens by installation id, each kept until a minute before it expires."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._tokens: cachetools.TLRUCache[int, InstallationToken, float] = cachetools.TLRUCache(
            _TOKEN_CACHE_SIZE, _time_to_use, clock
        )
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def get(
        self, installation_id: int, fetch: Callable[[int], Awaitable[InstallationToken]]
    ) -> InstallationToken:
        """The cached token, or one fetched once however many callers ask at the same time."""
        cached = self._tokens.get(installation_id)
        if cached is None:
            async with self._locks[installation_id]:
                cached = self._tokens.get(installation_id)
                if cached is None:
                    cached = await fetch(installation_id)
                    self._tokens[installation_id] = cached
        return cached
