"""Requests per minute and per hour for one provider, shared by every role in the process.

A sliding-window log: the start times of the requests of the last hour. A request over either
limit waits until the oldest request in the full window leaves it, instead of failing; waiters
queue behind one lock so they go in arrival order. Clock and sleep are injectable for tests.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

MINUTE = 60.0
HOUR = 3600.0


class RateLimiter:
    def __init__(
        self,
        *,
        per_minute: int,
        per_hour: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_minute < 1 or per_hour < 1:
            raise ValueError("rate limits must allow at least one request")
        self.per_minute = per_minute
        self.per_hour = per_hour
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()
        self.waited_seconds = 0.0

    def _wait_needed(self, now: float) -> float:
        """Seconds until a request may start now, 0 when it may start at once."""
        while self._starts and self._starts[0] <= now - HOUR:
            self._starts.popleft()
        waits = [0.0]
        if len(self._starts) >= self.per_hour:
            waits.append(self._starts[-self.per_hour] + HOUR - now)
        in_minute = [start for start in self._starts if start > now - MINUTE]
        if len(in_minute) >= self.per_minute:
            waits.append(in_minute[-self.per_minute] + MINUTE - now)
        return max(waits)

    async def acquire(self) -> None:
        """Waits until a request is allowed under both limits, then counts it."""
        async with self._lock:
            while (wait := self._wait_needed(self._clock())) > 0:
                self.waited_seconds += wait
                await self._sleep(wait)
            self._starts.append(self._clock())
