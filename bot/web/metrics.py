"""GET /metrics: Prometheus text format, for operators' scrapers, never the public.

Two sources, chosen by where each figure lives:
- The database, read at scrape time (`storage.tallies`): deliveries by event and status, jobs
  by kind and status, the queue's depth and the age of its oldest runnable job, model calls,
  tokens and dollars by role and model, projects by status. Every web and worker process, on
  any machine, writes these rows, so one scrape of any web process is right for all of them;
  a counter kept in memory would be right only for the process that kept it.
- This process, for what never reaches the database: webhooks answered by event and outcome
  (a refused one is not stored), the acknowledgement latency, and GitHub requests by status
  and the rate limit remaining (`bot.github.metrics`, mostly made by workers). These use
  prometheus-client's multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set (the client's
  own variable, read when it is imported: set it, to an empty directory shared by the web
  and worker processes of a host, before they start), so a scrape adds up every process of
  the host; without it they are this process's own, which is exact for `serve`, where web
  and worker are one process. On several hosts, scrape each host's web process.

Not public: with METRICS_TOKEN set a scrape must send `Authorization: Bearer <token>` (else
401); without it only a loopback client whose request no proxy forwarded is answered (else
404, as if there were no such page). A token is the way for a scraper on another machine, and
the only safe one behind a reverse proxy on the same host.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator
from ipaddress import ip_address
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from storage.money import NANO
from storage.tallies import Tallies, tallies

PREFIX = "ai_orchestrator"
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
UNVERIFIED = "-"  # the event label of a request refused before its signature was checked
FORWARDED = ("forwarded", "x-forwarded-for", "x-real-ip")
# Webhook answers by status: what the endpoint did (bot/web/webhooks.py).
OUTCOMES = {
    202: "queued",
    200: "duplicate",
    400: "malformed",
    401: "bad_signature",
    413: "too_large",
    500: "not_stored",
    503: "not_configured",
}

DELIVERIES_HELP = "Stored deliveries by event and status (until pruned)."
JOBS_HELP = "Jobs by kind and status (finished ones until pruned)."

WEBHOOKS = Counter(
    f"{PREFIX}_webhooks_received",
    "Webhook requests answered, by event (verified ones only) and outcome.",
    ["event", "outcome"],
)
ACK_SECONDS = Histogram(
    f"{PREFIX}_webhook_ack_seconds",
    "Time from a webhook request's arrival to its answer (GitHub gives up at 10 s).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def webhook_answered(event: str | None, status: int, seconds: float) -> None:
    """Counts one answer of /webhooks. `event` only once the signature was verified: an
    unverified header would let anyone mint label values."""
    outcome = OUTCOMES.get(status, f"http_{status}")
    WEBHOOKS.labels(event=event or UNVERIFIED, outcome=outcome).inc()
    ACK_SECONDS.observe(seconds)


class DatabaseCollector(Collector):
    """The figures of one database read, as metric families."""

    def __init__(self, figures: Tallies) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Any]:
        yield from self._queue()
        yield from self._models()
        t = self.figures
        yield _gauge(
            "deliveries", "Stored deliveries by event and status.", t.deliveries, "event", "status"
        )
        yield _gauge(
            "jobs",
            "Jobs by kind and status (finished ones until pruned).",
            t.jobs,
            "kind",
            "status",
        )
        projects = GaugeMetricFamily(f"{PREFIX}_projects", "Projects by status.", labels=["status"])
        for status, n in sorted(t.projects.items()):
            projects.add_metric([status], n)
        yield projects

    def _queue(self) -> Iterator[Any]:
        t = self.figures
        depth = GaugeMetricFamily(
            f"{PREFIX}_queue_depth", "Queued jobs: runnable now, or delayed.", labels=["state"]
        )
        depth.add_metric(["runnable"], t.queue_runnable)
        depth.add_metric(["delayed"], t.queue_delayed)
        yield depth
        yield GaugeMetricFamily(
            f"{PREFIX}_queue_oldest_seconds",
            "How long the longest-waiting runnable job has waited.",
            value=t.queue_oldest_seconds,
        )

    def _models(self) -> Iterator[Any]:
        labels = ["role", "provider", "model"]
        calls = CounterMetricFamily(f"{PREFIX}_model_calls", "Model calls.", labels=labels)
        hits = CounterMetricFamily(
            f"{PREFIX}_model_cache_hits", "Requests the response cache answered.", labels=labels
        )
        tokens = CounterMetricFamily(
            f"{PREFIX}_model_tokens", "Tokens by kind.", labels=[*labels, "kind"]
        )
        dollars = CounterMetricFamily(f"{PREFIX}_model_cost_dollars", "Spend.", labels=labels)
        for m in self.figures.models:
            key = [m.role, m.provider, m.model]
            calls.add_metric(key, m.calls)
            hits.add_metric(key, m.cache_hits)
            dollars.add_metric(key, m.nanousd / NANO)
            for kind, n in (
                ("input", m.input_tokens),
                ("output", m.output_tokens),
                ("cached_input", m.cached_input_tokens),
                ("cache_write", m.cache_write_tokens),
            ):
                tokens.add_metric([*key, kind], n)
        yield from (calls, hits, tokens, dollars)


def _gauge(name: str, doc: str, values: dict[tuple[str, str], int], *labels: str) -> Any:
    family = GaugeMetricFamily(f"{PREFIX}_{name}", doc, labels=list(labels))
    for key, n in sorted(values.items()):
        family.add_metric(list(key), n)
    return family


def process_registry() -> CollectorRegistry:
    """This host's processes (multiprocess mode), or this process's default registry."""
    path = os.environ.get(MULTIPROC_DIR)  # the client's own variable: it reads it too
    if not path:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
    return registry


async def exposition(request: Request) -> bytes:
    """The whole text: the database's figures, then the processes'."""
    runtime = request.app.state.runtime
    async with runtime.sessions() as session:
        figures = await tallies(session)
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector(figures))
    return generate_latest(database) + generate_latest(process_registry())


def _loopback(request: Request) -> bool:
    if request.client is None or any(name in request.headers for name in FORWARDED):
        return False
    try:
        return ip_address(request.client.host).is_loopback
    except ValueError:
        return False


def _bearer_ok(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # Constant time: the comparison must not tell a guesser how much of the token was right.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


async def metrics(request: Request) -> Response:
    settings = request.app.state.runtime.settings
    if settings.metrics_token is not None:
        if not _bearer_ok(request, settings.metrics_token.get_secret_value()):
            headers = {"www-authenticate": 'Bearer realm="metrics"'}
            return Response("a Bearer token is required\n", status_code=401, headers=headers)
    elif not _loopback(request):
        return Response("Not Found\n", status_code=404)
    return Response(await exposition(request), media_type=CONTENT_TYPE_LATEST)
