"""The job kinds this app runs, and what each does."""

from __future__ import annotations

from typing import Any

from bot.actions import ACTION_JOB
from bot.commands.intake import COMMAND_JOB
from bot.commands.job import command_died, run_command_job
from bot.commands.requested import action_died, run_action_job
from bot.deps import Deps
from bot.labels import ENSURE_LABELS, run_ensure_labels
from bot.plugins.emit import PLUGIN_EVENT
from bot.plugins.job import run_plugin_event
from bot.queue.dispatch import handle_delivery
from bot.queue.maintenance import PRUNE, PURGE_CACHE, run_prune, run_purge_cache
from bot.queue.worker import JobRegistry, describe_error
from bot.status.comment import ensure_status_comment, show_waiting
from bot.web.intake import DELIVERY_JOB as DELIVERY
from bot.workflow.runner import register as register_workflow
from bot.workflow.steps import PLAN, queue
from storage.db import transaction
from storage.deliveries import DeliveryStatus, mark_delivery
from storage.jobs import Job
from storage.projects import get_project

ANNOUNCE = "announce"


async def run_delivery(job: Job, deps: Any) -> None:
    delivery_id = str(job.args["delivery_id"])
    try:
        await handle_delivery(deps, delivery_id)
    except Exception as exc:
        async with transaction(deps.sessions) as session:
            note = describe_error(exc)  # stored: scrubbed, as job errors are
            await mark_delivery(session, delivery_id, DeliveryStatus.FAILED, note=note)
        raise


async def run_announce(job: Job, deps: Any) -> None:
    """Posts the project's status comment ("planning…") and queues its planning."""
    assert isinstance(deps, Deps)
    async with deps.sessions() as session:
        project = await get_project(session, int(job.args["project_id"]))
    if project is None:
        return
    await ensure_status_comment(deps, project)
    assert project.id is not None
    async with transaction(deps.sessions) as session:
        await queue(session, PLAN, project.id)


def build_registry(*, workflow: bool = True) -> JobRegistry:
    """Every job kind; without `workflow`, only the foundation's (tests of the intake and the
    queue leave the workflow's jobs waiting in the queue)."""
    registry = JobRegistry()
    registry.add(DELIVERY, run_delivery)
    registry.add(ANNOUNCE, run_announce)
    registry.add(PURGE_CACHE, run_purge_cache)
    registry.add(PRUNE, run_prune)
    registry.add(PLUGIN_EVENT, run_plugin_event)  # queued only when a plugin takes it
    if workflow:
        register_workflow(registry)
        registry.add(COMMAND_JOB, run_command_job, on_dead=command_died, on_wait=show_waiting)
        registry.add(ACTION_JOB, run_action_job, on_dead=action_died, on_wait=show_waiting)
        registry.add(ENSURE_LABELS, run_ensure_labels)
    return registry
