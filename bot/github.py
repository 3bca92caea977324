"""GitHub REST clients: gidgethub over the shared httpx2 client, with GitHub's rate limits honoured.

`GitHubClient` adds what gidgethub leaves to its users: the `X-GitHub-Api-Version` header on
every request, waiting out 429s and secondary-limit 403s (gidgethub raises `RateLimitExceeded`
only for a 403 with nothing remaining), and spacing mutating requests of one installation, as
GitHub asks. Retries go through gidgethub's own hooks (`manage_rate_limit`, before each attempt,
and `handle_rate_limit_error`, after a failed one), so conditional-request caching and response
parsing stay gidgethub's. The App side (JWTs, installation tokens) is in `bot.github_auth`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import gidgethub
import gidgethub.httpx
import httpx2

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_API_VERSION = "2022-11-28"
REQUESTER = "ai-orchestrator"
MUTATING_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# Waiting until the primary limit resets, plus this, absorbs small clock differences with GitHub.
PRIMARY_RESET_MARGIN = 1.0
_SECONDARY_MARKERS = ("secondary rate limit", "abuse detection")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class RateLimited(Exception):
    """GitHub keeps refusing for longer than we are willing to wait: requeue the job instead."""

    def __init__(self, *, reset_at: datetime | None, retry_after: float, status: int) -> None:
        self.reset_at = reset_at
        self.retry_after = retry_after
        self.status = status
        until = f" until {reset_at.isoformat()}" if reset_at else ""
        super().__init__(f"GitHub rate limit ({status}): retry after {retry_after:.0f} s{until}")


@dataclass(frozen=True)
class RateLimitPolicy:
    """How long and how often a client waits out GitHub's rate limits before giving up."""

    max_attempts: int = 4
    secondary_min_wait: float = 60.0  # GitHub: "wait at least one minute" without retry-after
    max_wait: float = 15 * 60.0  # longer than this: raise RateLimited rather than hold a worker


def rate_limit_wait(
    exc: gidgethub.HTTPException, *, attempt: int, now: float, policy: RateLimitPolicy
) -> float | None:
    """Seconds to wait before retrying, or None when the failure is not a rate limit.

    GitHub's documented order: honour `retry-after`; else, with nothing remaining, wait for
    `x-ratelimit-reset`; else (a secondary limit) wait at least a minute, backing off.
    """
    status = int(exc.status_code)
    if status not in (403, 429):
        return None
    headers = exc.headers
    retry_after = _number(headers.get("retry-after"))
    if retry_after is not None:
        return max(retry_after, 0.0)
    reset = _number(headers.get("x-ratelimit-reset"))
    if headers.get("x-ratelimit-remaining") == "0" and reset is not None:
        return max(reset - now, 0.0) + PRIMARY_RESET_MARGIN
    message = str(exc).lower()
    if status == 429 or any(marker in message for marker in _SECONDARY_MARKERS):
        return float(policy.secondary_min_wait * 2 ** (attempt - 1))
    return None  # an ordinary 403: missing permission, not a limit


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def _reset_at(headers: Mapping[str, str]) -> datetime | None:
    reset = _number(headers.get("x-ratelimit-reset"))
    return datetime.fromtimestamp(reset, UTC) if reset is not None else None


class MutationPacer:
    """Keeps mutating requests of one installation at least `spacing` seconds apart."""

    def __init__(self, spacing: float, *, clock: Clock, sleep: Sleep) -> None:
        self._spacing = spacing
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._next_at = -math.inf

    async def wait(self) -> None:
        if self._spacing <= 0:
            return
        async with self._lock:
            now = self._clock()
            delay = self._next_at - now
            if delay > 0:
                await self._sleep(delay)
            # Measured from when this request may start, whether or not the clock moved.
            self._next_at = max(now, self._next_at) + self._spacing


class GitHubClient(gidgethub.httpx.GitHubAPI):
    """A gidgethub client that sends the API version and honours GitHub's rate limits."""

    def __init__(
        self,
        http: httpx2.AsyncClient,
        *,
        api_url: str = DEFAULT_API_URL,
        api_version: str = DEFAULT_API_VERSION,
        oauth_token: str | None = None,
        app_id: int | None = None,
        private_key: str | None = None,
        cache: gidgethub.abc.CACHE_TYPE | None = None,
        pacer: MutationPacer | None = None,
        policy: RateLimitPolicy | None = None,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        requester: str = REQUESTER,
    ) -> None:
        super().__init__(
            http,
            requester,
            oauth_token=oauth_token,
            app_id=str(app_id) if app_id is not None else None,
            private_key=private_key,
            cache=cache,
            base_url=api_url,
        )
        self.api_version = api_version
        self._pacer = pacer
        self._policy = policy or RateLimitPolicy()
        self._clock = clock
        self._sleep = sleep

    async def _request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[int, Mapping[str, str], bytes]:
        headers = {**headers, "x-github-api-version": self.api_version}
        status, response_headers, content = await super()._request(method, url, headers, body)
        log.debug(
            "github %s %s -> %s",
            method,
            urlsplit(url).path,
            status,
            extra={
                "github_method": method,
                "github_path": urlsplit(url).path,
                "github_status": status,
                "ratelimit_remaining": response_headers.get("x-ratelimit-remaining"),
                "ratelimit_reset": response_headers.get("x-ratelimit-reset"),
                "ratelimit_resource": response_headers.get("x-ratelimit-resource"),
            },
        )
        return status, response_headers, content

    async def sleep(self, seconds: float) -> None:
        await self._sleep(seconds)

    async def manage_rate_limit(self, *, method: str, url: str) -> None:
        if self._pacer is not None and method.upper() in MUTATING_METHODS:
            await self._pacer.wait()

    async def handle_rate_limit_error(
        self, *, method: str, url: str, exception: gidgethub.HTTPException, attempt: int
    ) -> bool:
        wait = rate_limit_wait(exception, attempt=attempt, now=self._clock(), policy=self._policy)
        if wait is None:
            return False
        status = int(exception.status_code)
        if wait > self._policy.max_wait or attempt >= self._policy.max_attempts:
            reset_at = _reset_at(exception.headers)
            raise RateLimited(reset_at=reset_at, retry_after=wait, status=status) from exception
        log.warning(
            "github rate limit on %s %s (%s): waiting %.0f s, attempt %d",
            method,
            urlsplit(url).path,
            status,
            wait,
            attempt,
        )
        await self.sleep(wait)
        return True


def anonymous_client(
    http: httpx2.AsyncClient,
    api_url: str = DEFAULT_API_URL,
    api_version: str = DEFAULT_API_VERSION,
    **options: Any,
) -> GitHubClient:
    """A client without credentials, for `POST /app-manifests/{code}/conversions`."""
    return GitHubClient(http, api_url=api_url, api_version=api_version, **options)
