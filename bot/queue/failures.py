"""How the queue retries a job whose handler raised: by time, by count, or not at all.

A GitHub outage must not fail a job: GitHub's transient failures (`bot.github.errors`) are
retried for a time budget rather than a number of attempts, so a phase outlasts a bad hour on
GitHub's side without anyone typing `/retry`. A refusal from GitHub (a 4xx other than a rate
limit) ends the job at once: asking again gets the same answer. Anything else is retried a
number of times, as it always was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.github.errors import refused, transient
from bot.github.ratelimit import RateLimited
from storage.jobs import Retry


@dataclass(frozen=True)
class Failure:
    retry: Retry
    # Not sooner than this: GitHub said when it will answer again (a rate limit's reset).
    not_before: timedelta | None = None


def classify(exc: BaseException) -> Failure:
    if isinstance(exc, RateLimited):
        return Failure(Retry.TRANSIENT, timedelta(seconds=exc.retry_after))
    if transient(exc):
        return Failure(Retry.TRANSIENT)
    if refused(exc):
        return Failure(Retry.NEVER)
    return Failure(Retry.COUNTED)
