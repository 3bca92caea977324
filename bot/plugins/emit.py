"""Queuing an event for the plugins: one `plugin_event` job, in the caller's transaction.

The job's dedupe key is the event's key, so a step that runs again queues its event once. The
job carries the project's id: it runs in the project's line of jobs, so the plugins hear a
project's events in the order they happened. Nothing is queued when no enabled plugin
implements the hook: without plugins the workflow runs exactly as it would without this.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.plugins.events import Event
from bot.plugins.host import Plugins
from storage.jobs import NewJob, enqueue

PLUGIN_EVENT = "plugin_event"
KEY_LIMIT = 255  # the jobs table's dedupe key


def job_key(event: Event) -> str:
    return f"{PLUGIN_EVENT}:{event.key}"[:KEY_LIMIT]


async def emit(session: AsyncSession, plugins: Plugins, event: Event) -> bool:
    """Queues the event's delivery to the plugins that take it; True when a job was new."""
    if not plugins.takes(event.hook):
        return False
    job = NewJob(
        kind=PLUGIN_EVENT,
        args={"hook": event.hook, "event": event.model_dump(mode="json")},
        project_id=event.project.id,
        dedupe_key=job_key(event),
        max_attempts=3,
    )
    return await enqueue(session, job) is not None
