"""Retention: the hourly prune job deletes deliveries and finished jobs past their settings'
age (30 days by default) and keeps the cost ledger unless told otherwise; what a project still
in progress relies on (its jobs' dedupe keys, the spend its budget counts) stays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from bot.queue.jobs import build_registry
from bot.queue.maintenance import schedule_periodic
from bot.queue.worker import Worker
from bot.settings import Settings
from storage.db import SessionMaker, transaction
from storage.deliveries import Delivery, DeliveryStatus, NewDelivery, record_deliveries
from storage.jobs import Job, JobStatus, NewJob, enqueue
from storage.ledger import LLMCall
from storage.plugin_deliveries import Outcome as DeliveryOutcome
from storage.plugin_deliveries import PluginDelivery
from storage.projects import ProjectStatus
from storage.types import utcnow
from storage.web_sessions import WebSession, add_session
from tests.workflow_helpers import bare_project

NOW = utcnow()
OLD = NOW - timedelta(days=31)
RECENT = NOW - timedelta(days=1)


@dataclass
class Seeded:
    deliveries: dict[str, str]  # name: delivery id
    jobs: dict[str, int]  # name: job id
    calls: dict[str, int]  # name: ledger row id


async def add_project(sessions: SessionMaker, status: ProjectStatus, issue: int) -> int:
    async with transaction(sessions) as session:
        project = bare_project(status=status, issue_number=issue)
        session.add(project)
        await session.flush()
        assert project.id is not None
        return project.id


async def add_delivery(sessions: SessionMaker, name: str, at: datetime) -> str:
    async with transaction(sessions) as session:
        await record_deliveries(session, [NewDelivery(name, "ping", {"zen": name})], now=at)
        await session.exec(
            update(Delivery).where(col(Delivery.id) == name).values(status=DeliveryStatus.HANDLED)
        )
    return name


async def add_job(
    sessions: SessionMaker, status: JobStatus, at: datetime, project_id: int | None = None
) -> int:
    async with transaction(sessions) as session:
        job = await enqueue(session, NewJob(kind="kept_waiting", args={}, project_id=project_id))
        assert job is not None and job.id is not None
        finished = at if status in (JobStatus.DONE, JobStatus.DEAD, JobStatus.CANCELLED) else None
        changes: dict[str, Any] = {"status": status, "updated_at": at, "created_at": at}
        await session.exec(
            update(Job).where(col(Job.id) == job.id).values(finished_at=finished, **changes)
        )
        return job.id


async def add_call(sessions: SessionMaker, at: datetime, project_id: int) -> int:
    async with transaction(sessions) as session:
        call = LLMCall(project_id=project_id, role="developer", step="s", provider="p", model="m")
        call.created_at = at
        session.add(call)
        await session.flush()
        assert call.id is not None
        return call.id


async def seed(sessions: SessionMaker) -> Seeded:
    running = await add_project(sessions, ProjectStatus.RUNNING, 1)
    done = await add_project(sessions, ProjectStatus.DONE, 2)
    deliveries = {
        "old": await add_delivery(sessions, "old-delivery", OLD),
        "recent": await add_delivery(sessions, "recent-delivery", RECENT),
    }
    jobs = {
        "old done": await add_job(sessions, JobStatus.DONE, OLD),
        "old dead": await add_job(sessions, JobStatus.DEAD, OLD),
        "old done, ended project": await add_job(sessions, JobStatus.DONE, OLD, done),
        "recent done": await add_job(sessions, JobStatus.DONE, RECENT),
        "old queued": await add_job(sessions, JobStatus.QUEUED, OLD),
        "old done, project in progress": await add_job(sessions, JobStatus.DONE, OLD, running),
    }
    calls = {
        "ended project": await add_call(sessions, NOW - timedelta(days=400), done),
        "project in progress": await add_call(sessions, NOW - timedelta(days=400), running),
    }
    return Seeded(deliveries, jobs, calls)


async def left(sessions: SessionMaker) -> tuple[set[str], set[int], set[int]]:
    async with sessions() as session:
        deliveries = set((await session.exec(select(Delivery.id))).all())
        jobs = set((await session.exec(select(Job.id).where(Job.kind == "kept_waiting"))).all())
        calls = set((await session.exec(select(LLMCall.id))).all())
    return deliveries, {j for j in jobs if j is not None}, {c for c in calls if c is not None}


async def run_maintenance(sessions: SessionMaker, settings: Settings) -> None:
    """What a worker's heartbeat does every hour: schedule the upkeep jobs, then run them."""
    deps = type("Deps", (), {"sessions": sessions, "settings": settings})()
    await schedule_periodic(sessions)
    await Worker(sessions, build_registry(workflow=False), deps).drain()


def settings_for(database_url: str, **retention: int) -> Settings:
    return Settings(_env_file=None, database_url=database_url, **retention)  # type: ignore[call-arg]


async def test_the_hourly_prune_deletes_old_deliveries_and_finished_jobs_and_keeps_the_ledger(
    sessions: SessionMaker, database_url: str
) -> None:
    seeded = await seed(sessions)
    await run_maintenance(sessions, settings_for(database_url))
    deliveries, jobs, calls = await left(sessions)
    assert deliveries == {seeded.deliveries["recent"]}
    kept = ("recent done", "old queued", "old done, project in progress")
    assert jobs == {seeded.jobs[name] for name in kept}
    assert calls == set(seeded.calls.values())  # the ledger is kept by default


async def test_a_ledger_retention_prunes_the_ledger_of_ended_projects_only(
    sessions: SessionMaker, database_url: str
) -> None:
    """A project's budget is counted from its ledger rows: those of a project in progress
    stay, whatever their age."""
    seeded = await seed(sessions)
    await run_maintenance(sessions, settings_for(database_url, retain_ledger_days=365))
    _, _, calls = await left(sessions)
    assert calls == {seeded.calls["project in progress"]}


async def test_a_retention_of_zero_days_keeps_everything(
    sessions: SessionMaker, database_url: str
) -> None:
    await seed(sessions)
    before = await left(sessions)
    keep = {"retain_deliveries_days": 0, "retain_jobs_days": 0, "retain_ledger_days": 0}
    await run_maintenance(sessions, settings_for(database_url, **keep))
    assert await left(sessions) == before


async def test_the_hourly_prune_deletes_expired_sign_in_sessions(
    sessions: SessionMaker, database_url: str
) -> None:
    """A session past its expiry can never be used again (the cookie is refused), so its
    encrypted tokens do not wait for a retention setting."""
    async with transaction(sessions) as session:
        for key, expires in (
            ("expired", NOW - timedelta(minutes=1)),
            ("live", RECENT + timedelta(days=14)),
        ):
            row = WebSession(
                key=key, user_id=1, login="octocat", access_token="x", expires_at=expires
            )
            await add_session(session, row)
    await run_maintenance(sessions, settings_for(database_url))
    async with sessions() as session:
        assert list((await session.exec(select(WebSession.key))).all()) == ["live"]


async def test_plugin_deliveries_go_with_finished_jobs_except_for_projects_in_progress(
    sessions: SessionMaker, database_url: str
) -> None:
    done = await add_project(sessions, ProjectStatus.DONE, 41)
    running = await add_project(sessions, ProjectStatus.RUNNING, 42)
    async with transaction(sessions) as session:
        for key, project, when in (
            ("old, done", done, OLD),
            ("recent, done", done, RECENT),
            ("old, running", running, OLD),
        ):
            row = PluginDelivery(
                event_key=key,
                plugin="notify",
                hook="phase_merged",
                project_id=project,
                outcome=DeliveryOutcome.DELIVERED,
                created_at=when,
            )
            session.add(row)
    await run_maintenance(sessions, settings_for(database_url))
    async with sessions() as session:
        left = set((await session.exec(select(PluginDelivery.event_key))).all())
    assert left == {"recent, done", "old, running"}
