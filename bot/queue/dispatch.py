"""Routes a stored delivery through the handlers' routers and records the outcome."""

from __future__ import annotations

import logging

from gidgethub import sansio

from bot.deps import Deps
from bot.github.permissions import is_bot
from bot.logcontext import log_context
from handlers import router
from storage.db import SessionMaker, transaction
from storage.deliveries import Delivery, DeliveryStatus, get_delivery, mark_delivery

log = logging.getLogger(__name__)

# Machine results (CI checks, statuses) and installation changes come from bots by nature;
# for every other event a bot sender (the app itself included) is ignored.
BOT_EVENTS_WANTED = frozenset(
    {"check_run", "check_suite", "status", "installation", "installation_repositories"}
)


def bot_sender(delivery: Delivery) -> bool:
    sender = delivery.payload.get("sender") or {}
    return isinstance(sender, dict) and is_bot(sender)


def outcome_without_handlers(delivery: Delivery, event: sansio.Event) -> str | None:
    """Why the delivery is ignored, or None when a handler should run."""
    if delivery.event not in BOT_EVENTS_WANTED and bot_sender(delivery):
        return "sender is a bot"
    if not router.fetch(event):
        return "no handler for this event and action"
    return None


async def dispatch_delivery(deps: Deps, delivery: Delivery) -> DeliveryStatus:
    """Runs the handlers for `delivery`; exceptions propagate (the job retries)."""
    event = sansio.Event(delivery.payload, event=delivery.event, delivery_id=delivery.id)
    reason = outcome_without_handlers(delivery, event)
    status = DeliveryStatus.IGNORED if reason else DeliveryStatus.HANDLED
    if reason is None:
        await router.dispatch(event, deps=deps)
    async with transaction(deps.sessions) as session:
        await mark_delivery(session, delivery.id, status, note=reason)
    return status


async def stored_delivery(sessions: SessionMaker, delivery_id: str) -> Delivery | None:
    async with sessions() as session:
        return await get_delivery(session, delivery_id)


async def run_delivery(deps: Deps, delivery: Delivery) -> DeliveryStatus:
    """Dispatches a stored delivery with its ids in every log record."""
    fields = {
        "delivery_id": delivery.id,
        "installation_id": delivery.installation_id,
        "repository": delivery.repository,
    }
    with log_context(**fields):
        status = await dispatch_delivery(deps, delivery)
        log.info("delivery %s %s: %s", delivery.event, delivery.action, status.value)
    return status


async def handle_delivery(deps: Deps, delivery_id: str) -> DeliveryStatus | None:
    delivery = await stored_delivery(deps.sessions, delivery_id)
    if delivery is None:
        log.warning("delivery %s is not stored", delivery_id)
        return None
    return await run_delivery(deps, delivery)
