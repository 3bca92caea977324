"""Riding out GitHub's transient failures inside one request, for requests safe to repeat.

GitHub under load answers 500, 502, 503 or 504, or drops the connection, and answers again a
few seconds later. `send_with_retries` repeats a GET, HEAD, PUT, PATCH or DELETE on those,
with jittered exponential backoff (four tries over about ten seconds), waiting `retry-after`
instead when GitHub sends it. It never repeats a POST: a lost answer may hide a write GitHub
applied, and only the job knows how to find it again (its find-or-create rules), so a POST's
failure goes to the job, which the queue retries (`bot.queue.failures`).

It wraps the raw exchange (`GitHubClient._request`), below gidgethub's own loop, so ETags and
response parsing stay gidgethub's, and rate-limit refusals (403, 429) stay with
`bot.github.ratelimit`. When the tries run out the last answer is handed back as it came (and
gidgethub raises `GitHubBroken` on it), or the last connection error is raised. Waits go
through the injected `sleep`, so tests record them rather than wait.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx2
import tenacity

from bot.github.ratelimit import Sleep, header_number

__all__ = [
    "CONNECTION_ERRORS",
    "RETRIED_METHODS",
    "RETRIED_STATUSES",
    "RetryPolicy",
    "send_with_retries",
]

log = logging.getLogger(__name__)

Response = tuple[int, Mapping[str, str], bytes]

# Idempotent by HTTP's definition: sending one twice leaves GitHub as sending it once.
RETRIED_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
RETRIED_STATUSES = frozenset({500, 502, 503, 504})
# The request may not have reached GitHub, or its answer was lost on the way back.
CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    httpx2.TimeoutException,
    httpx2.NetworkError,
    httpx2.RemoteProtocolError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long one request is tried again on a transient failure."""

    tries: int = 4  # the first and three retries: waits of about 1, 2 and 4 s, plus jitter
    first_wait: float = 1.0
    max_wait: float = 8.0
    jitter: float = 1.0  # up to this much added to each wait, so clients do not retry in step
    # A longer `retry-after` is not waited out here: the job is requeued and the queue waits.
    max_retry_after: float = 60.0


def retry_after(state: tenacity.RetryCallState) -> float | None:
    """The `retry-after` seconds GitHub sent with the answer just received, if any."""
    outcome = state.outcome
    if outcome is None or outcome.failed:
        return None
    _, headers, _ = outcome.result()
    seconds = header_number(headers.get("retry-after"))
    return None if seconds is None else max(seconds, 0.0)


def _failed(response: Response) -> bool:
    return response[0] in RETRIED_STATUSES


def _last_outcome(state: tenacity.RetryCallState) -> Response:
    """Out of tries: the last answer as it came, or the last connection error raised."""
    assert state.outcome is not None
    response: Response = state.outcome.result()
    return response


class _Wait:
    """`retry-after` when GitHub sent one, else jittered exponential backoff."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._backoff = tenacity.wait_exponential_jitter(
            multiplier=policy.first_wait, max=policy.max_wait, jitter=policy.jitter
        )

    def __call__(self, state: tenacity.RetryCallState) -> float:
        asked = retry_after(state)
        return asked if asked is not None else self._backoff(state)


class _Stop:
    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def __call__(self, state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= self._policy.tries:
            return True
        asked = retry_after(state)
        return asked is not None and asked > self._policy.max_retry_after


def _logger(
    method: str, url: str, policy: RetryPolicy
) -> Callable[[tenacity.RetryCallState], None]:
    path = urlsplit(url).path

    def before_sleep(state: tenacity.RetryCallState) -> None:
        assert state.outcome is not None
        if state.outcome.failed:
            what = type(state.outcome.exception()).__name__
        else:
            what = str(state.outcome.result()[0])
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        log.warning(
            "github %s on %s %s: retrying in %.1f s (try %d of %d)",
            what,
            method,
            path,
            wait,
            state.attempt_number + 1,
            policy.tries,
            extra={"github_method": method, "github_path": path, "github_failure": what},
        )

    return before_sleep


async def send_with_retries(
    send: Callable[[], Awaitable[Response]],
    *,
    method: str,
    url: str,
    policy: RetryPolicy,
    sleep: Sleep,
) -> Response:
    """`send()`'s answer; for a request safe to repeat, tried again on a transient failure."""
    if method.upper() not in RETRIED_METHODS or policy.tries <= 1:
        return await send()
    retrying = tenacity.AsyncRetrying(
        sleep=sleep,
        stop=_Stop(policy),
        wait=_Wait(policy),
        retry=tenacity.retry_if_exception_type(CONNECTION_ERRORS)
        | tenacity.retry_if_result(_failed),
        before_sleep=_logger(method, url, policy),
        retry_error_callback=_last_outcome,
    )
    response: Response = await retrying(send)
    return response
