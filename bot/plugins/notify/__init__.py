"""The built-in `notify` plugin: every event to Slack-compatible incoming webhooks
(NOTIFY_SLACK_URLS) and to plain HTTPS endpoints, signed (NOTIFY_WEBHOOK_URLS with
NOTIFY_WEBHOOK_SECRET); NOTIFY_EVENTS narrows which hooks it posts.

The endpoints are settings, never repository options: a repository's file must not be able to
send the app's events elsewhere. Registered like any plugin, through the project's own entry
point (`notify = "bot.plugins.notify"`), and enabled with `PLUGINS=notify`.
"""

from __future__ import annotations

import logging

from bot.plugins.context import PluginContext
from bot.plugins.events import (
    BudgetPaused,
    CIFailed,
    Event,
    PhaseFailed,
    PhaseMerged,
    PhaseOpened,
    PhaseReviewed,
    PlanApproved,
    PlanReady,
    ProjectAborted,
    ProjectDone,
    ProjectFailed,
    ProjectStarted,
)
from bot.plugins.hookspecs import hookimpl
from bot.plugins.notify.messages import slack_body, webhook_body
from bot.plugins.notify.post import Post, send_all, signed

log = logging.getLogger(__name__)


def posts(event: Event, context: PluginContext) -> list[Post]:
    """What the settings say to post of `event`: one per Slack URL, one per HTTPS endpoint."""
    settings = context.settings
    if settings.notify_hooks and event.hook not in settings.notify_hooks:
        return []
    slack = [
        Post(url, f"Slack webhook {number}", slack_body(event))
        for number, url in enumerate(settings.slack_urls(), start=1)
    ]
    secret = settings.notify_webhook_secret
    if secret is None or not settings.webhook_urls:
        return slack
    body, key = webhook_body(event), event.key
    others = [
        signed(url, body, secret=secret.get_secret_value(), hook=event.hook, key=key)
        for url in settings.webhook_urls
    ]
    return slack + others


async def notify(event: Event, context: PluginContext) -> None:
    found = posts(event, context)
    if found:
        await send_all(context.http, found)
        log.info("notified %d endpoints of %s", len(found), event.key)


@hookimpl
async def project_started(event: ProjectStarted, context: PluginContext) -> None:
    await notify(event, context)


@hookimpl
async def plan_ready(event: PlanReady, context: PluginContext) -> None:
    await notify(event, context)


@hookimpl
async def plan_approved(event: PlanApproved, context: PluginContext) -> None:
    await notify(event, context)


@hookimpl
async def phase_opened(event: PhaseOpened, context: PluginContext) -> None:
    await notify(event, context)


@hookimpl
async def phase_reviewed(event: PhaseReviewed, context: PluginContext) -> None:
    await notify(event, context)


@hookimpl
async def phase_merged(event: PhaseMerged, context: PluginContext) -> None:
    await notify(event, context)


@hookimpl
async def phase_failed(event: PhaseFailed, context: PluginContext) -> None:
    await notify(event, context)


@hookimpl
async def ci_failed(event: CIFailed, context: PluginContext) -> None:
    await notify(event, context)


@hookimpl
async def budget_paused(event: BudgetPaused, context: PluginContext) -> None:
    await notify(event, context)


@hookimpl
async def project_done(event: ProjectDone, context: PluginContext) -> None:
    await notify(event, context)


@hookimpl
async def project_failed(event: ProjectFailed, context: PluginContext) -> None:
    await notify(event, context)


@hookimpl
async def project_aborted(event: ProjectAborted, context: PluginContext) -> None:
    await notify(event, context)
