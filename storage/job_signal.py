"""The signal that jobs were added, sent once their transaction commits.

Idle workers poll the queue; this lets them start a new job at once instead. `enqueue` marks
its session (`jobs_added`); once that session commits, every callback registered here in
this process runs (`on_jobs_added`), and on PostgreSQL the transaction's `NOTIFY` reaches the
workers of other processes, which `LISTEN` on `CHANNEL` (bot/queue/doorbell.py). Polling
stays as the fallback, so a lost signal delays a job by one poll, no more.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event, text
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

CHANNEL = "ai_orchestrator_jobs"
_KEY = "ai_orchestrator_jobs_added"
_callbacks: list[Callable[[], None]] = []


def on_jobs_added(callback: Callable[[], None]) -> Callable[[], None]:
    """Runs `callback` after each commit that added jobs; returns the function that stops it."""
    _callbacks.append(callback)
    return lambda: _callbacks.remove(callback)


async def jobs_added(session: AsyncSession) -> None:
    """Called by `enqueue` in the transaction that adds jobs."""
    session.sync_session.info[_KEY] = True
    if session.sync_session.get_bind().dialect.name == "postgresql":
        # Delivered at commit, and only if the transaction commits.
        await session.exec(text(f"NOTIFY {CHANNEL}"))  # type: ignore[call-overload]


def ring() -> None:
    """Runs the callbacks: for a commit that added jobs outside a session (the SQLite
    intake's `storage.sqlite_batch`), once it has committed."""
    for callback in list(_callbacks):
        callback()


@event.listens_for(Session, "after_commit")
def _ring(session: Session) -> None:
    if session.info.pop(_KEY, False):
        ring()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_KEY, None)
