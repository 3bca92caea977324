"""GET /metrics: who may scrape it, the figures moving as a scripted project runs, and the
same figures from two worker processes writing one database."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlmodel import col, func, select

from bot.settings import Settings
from storage.deliveries import Delivery
from storage.job_table import Job, JobStatus
from storage.ledger import LLMCall
from storage.query import total
from tests.apphelpers import RunningApp, running_app
from tests.fakegithub import FakeGitHub
from tests.scriptedmodel import ScriptedModel
from tests.workflow_helpers import job_errors, run_approved_project

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
TOKEN = "metrics-token-for-tests"


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def summed(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every sample of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, found), v in samples.items() if n == name and wanted <= found)


async def scrape(app: RunningApp) -> Samples:
    response = await app.client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse(response.text)


async def db_count(app: RunningApp, statement: object) -> int:
    async with app.runtime.sessions() as session:
        return int((await session.exec(statement)).one())  # type: ignore[call-overload]


async def test_the_figures_move_as_a_scripted_project_runs(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    before = await scrape(workflow_app)
    github_before = len(fake_github.requests)
    await run_approved_project(workflow_app, fake_github, scripted_model)
    assert await job_errors(workflow_app) == []
    after = await scrape(workflow_app)

    def grew(name: str, **labels: str) -> float:
        return summed(after, name, **labels) - summed(before, name, **labels)

    # Every webhook the app queued is a stored delivery, and each answer was timed.
    stored = await db_count(workflow_app, select(func.count()).select_from(Delivery))
    assert stored > 0
    assert grew("ai_orchestrator_webhooks_received_total", outcome="queued") == stored
    assert grew("ai_orchestrator_webhook_ack_seconds_count") == grew(
        "ai_orchestrator_webhooks_received_total"
    )
    # The ledger's model calls are the requests the scripted model answered.
    assert summed(after, "ai_orchestrator_model_calls_total") == len(scripted_model.requests)
    spent = await db_count(workflow_app, select(total(LLMCall.cost_nanousd)))
    dollars = summed(after, "ai_orchestrator_model_cost_dollars_total")
    assert spent > 0 and dollars == pytest.approx(spent / 10**9)
    tokens = await db_count(workflow_app, select(total(LLMCall.input_tokens)))
    assert summed(after, "ai_orchestrator_model_tokens_total", kind="input") == tokens
    done = await db_count(workflow_app, select(func.count()).where(Job.status == JobStatus.DONE))
    assert done > 0 and summed(after, "ai_orchestrator_jobs", status="done") == done
    assert value(after, "ai_orchestrator_queue_depth", state="runnable") == 0
    assert value(after, "ai_orchestrator_projects", status="done") == 1
    # Every request GitHub answered was counted, by its status.
    answered = Counter(str(r.status) for r in fake_github.requests[github_before:])
    assert answered  # the project did talk to GitHub
    for status, n in answered.items():
        assert grew("ai_orchestrator_github_requests_total", status=status) == n
    remaining = value(after, "ai_orchestrator_github_rate_limit_remaining", resource="core")
    assert 0 < remaining < 5000


async def test_refused_webhooks_are_counted_without_their_event(app: RunningApp) -> None:
    before = await scrape(app)
    response = await app.client.post(
        "/webhooks", content=b"{}", headers={"x-github-event": "made-up-event"}
    )
    assert response.status_code == 401
    after = await scrape(app)
    name, labels = "ai_orchestrator_webhooks_received_total", {"outcome": "bad_signature"}
    assert value(after, name, event="-", **labels) - value(before, name, event="-", **labels) == 1
    assert value(after, name, event="made-up-event", **labels) == 0


def remote_client(app: RunningApp, host: str) -> httpx2.AsyncClient:
    transport = httpx2.ASGITransport(app=app.app, client=(host, 40000))
    return httpx2.AsyncClient(transport=transport, base_url="http://testserver")


async def test_without_a_token_only_loopback_clients_are_answered(app: RunningApp) -> None:
    assert (await app.client.get("/metrics")).status_code == 200  # 127.0.0.1
    forwarded = await app.client.get("/metrics", headers={"x-forwarded-for": "203.0.113.9"})
    assert forwarded.status_code == 404  # a proxy on this host passed a remote request on
    async with remote_client(app, "203.0.113.9") as remote:
        assert (await remote.get("/metrics")).status_code == 404


@pytest.fixture
async def token_app(app_settings: Settings, fake_github: FakeGitHub) -> AsyncIterator[RunningApp]:
    settings = app_settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    async with fake_github.client() as http, running_app(settings, http, workflow=False) as app:
        yield app


async def test_with_a_token_a_scrape_must_bring_it(token_app: RunningApp) -> None:
    async with remote_client(token_app, "203.0.113.9") as remote:
        missing = await remote.get("/metrics")
        wrong = await remote.get("/metrics", headers={"authorization": "Bearer nope"})
        basic = await remote.get("/metrics", headers={"authorization": f"Basic {TOKEN}"})
        right = await remote.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert [r.status_code for r in (missing, wrong, basic)] == [401, 401, 401]
    assert missing.headers["www-authenticate"] == 'Bearer realm="metrics"'
    assert TOKEN not in missing.text + wrong.text
    assert right.status_code == 200 and "ai_orchestrator_queue_depth" in right.text
    # A token makes loopback no exception: a local proxy would otherwise open it to all.
    assert (await token_app.client.get("/metrics")).status_code == 401


# One worker process: it records model calls and finishes jobs in the shared database (as the
# worker's call path and queue do), and counts GitHub answers in its own multiprocess file.
WORKER = """
import asyncio, sys
from storage import ledger
from storage.db import make_engine, make_sessionmaker, transaction
from storage.jobs import NewJob, claim, complete, enqueue
from storage.types import utcnow
from bot.github.metrics import record_response

async def main(url, name, calls, jobs):
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    for n in range(calls):
        async with transaction(sessions) as session:
            await ledger.record_call(session, project_id=None, phase=None, role="developer",
                step=f"{name}.{n}", cache_key=None, provider="anthropic", model="claude",
                input_tokens=100, output_tokens=10, cached_input_tokens=0,
                cache_write_tokens=0, cost_nanousd=2_500_000, provider_cache_saved_nanousd=0,
                latency_ms=1, cache_hit=False, now=utcnow())
        record_response("GET", 200, {"x-ratelimit-remaining": str(4000 - n)})
    for n in range(jobs):
        async with transaction(sessions) as session:
            await enqueue(session, NewJob(kind=f"metrics.test", args={"n": n}))
        job = await claim(sessions, worker_id=name, lease_seconds=30, kinds={"metrics.test"})
        assert job is not None and job.id is not None
        assert await complete(sessions, job_id=job.id, worker_id=name)
    record_response("POST", 502, {})
    await engine.dispose()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
"""


def run_worker(url: str, directory: Path, name: str, calls: int, jobs: int) -> None:
    env = {"PROMETHEUS_MULTIPROC_DIR": str(directory), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "-c", WORKER, url, name, str(calls), str(jobs)],
        check=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
    )


async def test_two_worker_processes_add_up(
    app: RunningApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "prometheus"
    directory.mkdir()
    url = app.settings.database_url
    run_worker(url, directory, "worker-a", calls=3, jobs=2)
    run_worker(url, directory, "worker-b", calls=4, jobs=1)
    # The web process reads the workers' files, as it would with the variable set for all.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    samples = await scrape(app)
    labels = {"role": "developer", "provider": "anthropic", "model": "claude"}
    assert value(samples, "ai_orchestrator_model_calls_total", **labels) == 7
    assert value(samples, "ai_orchestrator_model_cost_dollars_total", **labels) == 0.0175
    assert value(samples, "ai_orchestrator_model_tokens_total", kind="input", **labels) == 700
    assert value(samples, "ai_orchestrator_jobs", kind="metrics.test", status="done") == 3
    github = "ai_orchestrator_github_requests_total"
    assert value(samples, github, method="GET", status="200") == 7
    assert value(samples, github, method="POST", status="502") == 2
    # The newest report of either process: worker-b's last, written after worker-a's.
    assert value(samples, "ai_orchestrator_github_rate_limit_remaining", resource="core") == 3997
    stored = await db_count(app, select(func.count()).where(col(Job.kind) == "metrics.test"))
    assert stored == 3
