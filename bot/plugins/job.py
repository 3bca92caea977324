"""The `plugin_event` job: gives one event to each enabled plugin that implements its hook.

Each call has PLUGIN_TIMEOUT_SECONDS. A plugin that raises or runs out of time is logged and
recorded, never retried and never allowed to fail the job: the project does not wait on its
notifications. What each plugin was given is recorded per event (`storage.plugin_deliveries`)
before the next is called, so the job run again after a crash skips those already done.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from pluggy import HookImpl

from agents.redact import scrub
from bot.deps import Deps
from bot.logcontext import log_context
from bot.plugins.calls import call, described
from bot.plugins.context import PluginContext
from bot.plugins.events import Event, event_from
from storage.db import transaction
from storage.jobs import Job
from storage.plugin_deliveries import Outcome, PluginDelivery, find_delivery, record_delivery

log = logging.getLogger(__name__)


async def run_plugin_event(job: Job, deps: Any) -> None:
    assert isinstance(deps, Deps)
    hook = str(job.args["hook"])
    event = event_from(hook, job.args["event"])
    context = PluginContext(deps.settings, deps.http)
    with log_context(project_id=event.project.id, repository=event.project.repository):
        for impl in deps.plugins.impls(hook):
            await deliver_once(deps, impl, event, context)


async def deliver_once(deps: Deps, impl: HookImpl, event: Event, context: PluginContext) -> None:
    """Calls the plugin with the event unless an earlier run of the job did, and records it."""
    plugin = impl.plugin_name
    async with deps.sessions() as session:
        if await find_delivery(session, event_key=event.key, plugin=plugin) is not None:
            log.info("plugin %s had event %s already", plugin, event.key)
            return
    started = time.monotonic()
    outcome, error = await _call(impl, event, context, deps.settings.plugin_timeout_seconds)
    row = PluginDelivery(
        event_key=event.key,
        plugin=plugin,
        hook=event.hook,
        project_id=event.project.id,
        outcome=outcome,
        error=error,
        seconds=round(time.monotonic() - started, 3),
    )
    async with transaction(deps.sessions) as session:
        await record_delivery(session, row)


async def _call(
    impl: HookImpl, event: Event, context: PluginContext, timeout: float
) -> tuple[Outcome, str | None]:
    """The call's outcome, and its error (scrubbed: it is stored and logged)."""
    offered = {"event": event, "context": context}
    try:
        await call(impl, offered, timeout)
    except TimeoutError as exc:
        outcome, error = Outcome.TIMED_OUT, scrub(described(exc))
    except Exception as exc:  # a plugin's failure must never stop the project
        outcome, error = Outcome.FAILED, scrub(described(exc))
    else:
        return Outcome.DELIVERED, None
    log.warning(
        "plugin %s failed on %s: %s",
        impl.plugin_name,
        event.hook,
        error,
        extra={"plugin": impl.plugin_name, "event_key": event.key},
    )
    return outcome, error
