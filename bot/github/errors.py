"""Which of GitHub's failures pass by themselves and which are GitHub's answer for good.

Transient: GitHub's 5xx (`GitHubBroken`, once the client's own retries ran out, or on a POST,
which it never repeats), a timeout or dropped connection, a rate limit the client would not
wait out (`RateLimited`). The same request later is likely to succeed.
Refused: any other 4xx. GitHub understood the request and said no (404, 409, 422, a 403 of
missing permission); sending it again gets the same answer.
"""

from __future__ import annotations

import gidgethub

from bot.github.ratelimit import RateLimited
from bot.github.retry import CONNECTION_ERRORS

TRANSIENT: tuple[type[Exception], ...] = (
    gidgethub.GitHubBroken,
    gidgethub.RateLimitExceeded,  # the client waits these out; past its patience, still passing
    RateLimited,
    *CONNECTION_ERRORS,
)


def transient(exc: BaseException) -> bool:
    """GitHub failed, or could not be reached, this time: the same request may succeed later."""
    return isinstance(exc, TRANSIENT)


def refused(exc: BaseException) -> bool:
    """GitHub answered a 4xx that is not a rate limit: the same request gets the same answer."""
    return isinstance(exc, gidgethub.BadRequest) and not transient(exc)


def refusal_text(exc: gidgethub.HTTPException) -> str:
    """`GitHub answered 404: Not Found.`, for a person reading why a step failed."""
    status = int(exc.status_code)
    message = str(exc).strip().rstrip(".") or exc.status_code.phrase
    return f"GitHub answered {status}: {message}."
