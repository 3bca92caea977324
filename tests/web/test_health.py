"""GET /health: database, worker heartbeat age, queued and dead jobs, jobs waiting on GitHub."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col

from storage.db import transaction
from storage.heartbeats import beat
from storage.jobs import Job, JobStatus, NewJob, enqueue
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


async def test_jobs_waiting_on_github_are_counted_and_do_not_make_it_unhealthy(
    app: RunningApp,
) -> None:
    """Jobs in a run of GitHub's transient failures, still being retried, are counted; one
    that ended (done or dead) is not."""
    sessions = app.runtime.sessions
    await beat(sessions, worker_id="w1")
    async with transaction(sessions) as session:
        for project_id, status in [(1, JobStatus.QUEUED), (2, JobStatus.RUNNING), (3, None)]:
            job = await enqueue(session, NewJob(kind="plan", args={}, project_id=project_id))
            assert job is not None
            if status is not None:
                values = {"status": status, "transient_since": utcnow(), "transient_attempts": 2}
                await session.exec(update(Job).where(col(Job.id) == job.id).values(**values))
        ended = await enqueue(session, NewJob(kind="plan", args={}, project_id=4))
        assert ended is not None
        values = {"status": JobStatus.DEAD, "transient_since": utcnow()}
        await session.exec(update(Job).where(col(Job.id) == ended.id).values(**values))
    response = await app.client.get("/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["jobs_waiting_on_github"], body["jobs_dead"]) == (2, 1)


async def test_stale_heartbeat_is_unhealthy(app: RunningApp) -> None:
    await beat(app.runtime.sessions, worker_id="w1", now=utcnow() - timedelta(minutes=10))
    response = await app.client.get("/health")
    assert response.status_code == 503
    assert response.json()["problem"] == "worker heartbeat is stale"


async def test_setup_mode_is_healthy_without_a_worker(unconfigured_app: RunningApp) -> None:
    response = await unconfigured_app.client.get("/health")
    assert response.status_code == 200
    assert response.json()["mode"] == "setup"
