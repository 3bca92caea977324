"""What this process asked GitHub, for /metrics: requests by method and status, and the rate
limit GitHub reported last, per resource (`core`, `graphql`, ...).

These are per-process figures (workers make most of the requests), kept by prometheus-client;
`bot.web.metrics` says how several processes add up. A module-level metric is the client's
own model: in multiprocess mode it writes to this process's file under
PROMETHEUS_MULTIPROC_DIR, which is chosen when the library is imported.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Counter, Gauge

REQUESTS = Counter(
    "ai_orchestrator_github_requests",
    "Requests to GitHub's API, by method and response status (each retry counted).",
    ["method", "status"],
)
RATE_LIMIT_REMAINING = Gauge(
    "ai_orchestrator_github_rate_limit_remaining",
    "Requests left in the current rate-limit window, as GitHub's last answer said.",
    ["resource"],
    multiprocess_mode="mostrecent",  # the newest report of any process, not their sum
)


def record_response(method: str, status: int, headers: Mapping[str, str]) -> None:
    """Counts one answer from GitHub and notes its rate-limit headers."""
    REQUESTS.labels(method=method.upper(), status=str(status)).inc()
    remaining = headers.get("x-ratelimit-remaining")
    if remaining is not None and remaining.isascii() and remaining.isdigit():
        resource = headers.get("x-ratelimit-resource") or "core"
        RATE_LIMIT_REMAINING.labels(resource=resource).set(int(remaining))
