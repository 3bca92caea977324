"""GET /health: database reachable, worker heartbeat age, queued and dead jobs, and the jobs
waiting on GitHub (retried through its transient errors: a GitHub outage, not ours, so it does
not make the app unhealthy)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from starlette.responses import JSONResponse

from storage.db import SessionMaker
from storage.heartbeats import latest_beat
from storage.jobs import JobStatus, counts, waiting_on_github
from storage.types import utcnow


async def health_report(sessions: SessionMaker, *, max_heartbeat_age: float) -> dict[str, Any]:
    report: dict[str, Any] = {"database": "ok"}
    try:
        async with sessions() as session:
            await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            beat = await latest_beat(session)
            by_status = await counts(session)
            waiting = await waiting_on_github(session)
    except Exception as exc:  # the edge: any database failure is "unhealthy", not a 500
        return {"healthy": False, "database": f"unreachable: {type(exc).__name__}"}
    age = None if beat is None else (utcnow() - beat).total_seconds()
    report |= {
        "worker_heartbeat_age_seconds": None if age is None else round(age, 1),
        "jobs_queued": by_status.get(JobStatus.QUEUED, 0),
        "jobs_running": by_status.get(JobStatus.RUNNING, 0),
        "jobs_dead": by_status.get(JobStatus.DEAD, 0),
        "jobs_waiting_on_github": waiting,
    }
    report["healthy"] = age is not None and age <= max_heartbeat_age
    if not report["healthy"]:
        report["problem"] = "no worker heartbeat" if age is None else "worker heartbeat is stale"
    return report


async def health_response(
    sessions: SessionMaker, *, max_heartbeat_age: float, setup_mode: bool
) -> JSONResponse:
    report = await health_report(sessions, max_heartbeat_age=max_heartbeat_age)
    if setup_mode and report["database"] == "ok":
        # No worker runs before the App is registered; the process itself is fine.
        report |= {"healthy": True, "mode": "setup"}
        report.pop("problem", None)
    return JSONResponse(report, status_code=200 if report["healthy"] else 503)
