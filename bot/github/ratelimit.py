"""GitHub's rate limits, as the clients in `bot.github.client` honour them.

How long to wait after a refusal (`rate_limit_wait`), when to give up and requeue instead
(`RateLimitPolicy`, `RateLimited`), and the spacing of mutating requests GitHub asks for
(`MutationPacer`). Pure decisions apart from the injected clock and sleep.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import gidgethub

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Waiting until the primary limit resets, plus this, absorbs small clock differences with GitHub.
PRIMARY_RESET_MARGIN = 1.0
_SECONDARY_MARKERS = ("secondary rate limit", "abuse detection")


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
    retry_after = header_number(headers.get("retry-after"))
    if retry_after is not None:
        return max(retry_after, 0.0)
    reset = header_number(headers.get("x-ratelimit-reset"))
    if headers.get("x-ratelimit-remaining") == "0" and reset is not None:
        return max(reset - now, 0.0) + PRIMARY_RESET_MARGIN
    message = str(exc).lower()
    if status == 429 or any(marker in message for marker in _SECONDARY_MARKERS):
        return float(policy.secondary_min_wait * 2 ** (attempt - 1))
    return None  # an ordinary 403: missing permission, not a limit


def header_number(value: str | None) -> float | None:
    """A header's value as a finite number of seconds, or None (absent or malformed)."""
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def reset_at(headers: Mapping[str, str]) -> datetime | None:
    reset = header_number(headers.get("x-ratelimit-reset"))
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
