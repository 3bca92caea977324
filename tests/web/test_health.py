"""GET /health: database, worker heartbeat age, queued and dead jobs."""

from __future__ import annotations

from datetime import timedelta

from storage.db import transaction
from storage.heartbeats import beat
from storage.jobs import NewJob, enqueue
from storage.types import utcnow
from tests.apphelpers import RunningApp


async def test_unhealthy_without_a_worker_heartbeat(app: RunningApp) -> None:
    response = await app.client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["worker_heartbeat_age_seconds"] is None
    assert body["problem"] == "no worker heartbeat"


async def test_healthy_with_a_fresh_heartbeat_and_counts_jobs(app: RunningApp) -> None:
    sessions = app.runtime.sessions
    await beat(sessions, worker_id="w1")
    async with transaction(sessions) as session:
        await enqueue(session, NewJob(kind="plan", args={}, project_id=1))
        await enqueue(session, NewJob(kind="plan", args={}, project_id=2))
    response = await app.client.get("/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["healthy"] is True
    assert body["jobs_queued"] == 2
    assert body["jobs_dead"] == 0
    assert body["worker_heartbeat_age_seconds"] < 5


async def test_stale_heartbeat_is_unhealthy(app: RunningApp) -> None:
    await beat(app.runtime.sessions, worker_id="w1", now=utcnow() - timedelta(minutes=10))
    response = await app.client.get("/health")
    assert response.status_code == 503
    assert response.json()["problem"] == "worker heartbeat is stale"


async def test_setup_mode_is_healthy_without_a_worker(unconfigured_app: RunningApp) -> None:
    response = await unconfigured_app.client.get("/health")
    assert response.status_code == 200
    assert response.json()["mode"] == "setup"
