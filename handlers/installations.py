"""`installation` and `installation_repositories`: keep the installations table current, and
give each newly installed repository the app's labels (a job per repository)."""

from __future__ import annotations

from typing import Any

from gidgethub import sansio
from gidgethub.routing import Router
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.deps import Deps
from bot.labels import queue_label_jobs
from storage.db import transaction
from storage.installations import change_repositories, set_installation_state, upsert_installation

router = Router()


async def _activate(session: AsyncSession, payload: dict[str, Any]) -> None:
    await upsert_installation(session, payload)
    await set_installation_state(session, payload["installation"]["id"], suspended=False)


async def _label_repositories(session: AsyncSession, event: sansio.Event, key: str) -> None:
    """Queues the labels of the repositories the payload lists under `key`."""
    await queue_label_jobs(
        session,
        installation_id=event.data["installation"]["id"],
        repositories=event.data.get(key),
        delivery_id=event.delivery_id,
    )


@router.register("installation", action="created")
async def installation_created(event: sansio.Event, deps: Deps) -> None:
    async with transaction(deps.sessions) as session:
        await _activate(session, event.data)
        await _label_repositories(session, event, "repositories")


@router.register("installation", action="new_permissions_accepted")
@router.register("installation", action="unsuspend")
async def installation_active(event: sansio.Event, deps: Deps) -> None:
    async with transaction(deps.sessions) as session:
        await _activate(session, event.data)


@router.register("installation", action="suspend")
async def installation_suspended(event: sansio.Event, deps: Deps) -> None:
    async with transaction(deps.sessions) as session:
        await upsert_installation(session, event.data)
        await set_installation_state(session, event.data["installation"]["id"], suspended=True)


@router.register("installation", action="deleted")
async def installation_deleted(event: sansio.Event, deps: Deps) -> None:
    async with transaction(deps.sessions) as session:
        await upsert_installation(session, event.data)
        await set_installation_state(session, event.data["installation"]["id"], deleted=True)


@router.register("installation_repositories", action="added")
@router.register("installation_repositories", action="removed")
async def repositories_changed(event: sansio.Event, deps: Deps) -> None:
    async with transaction(deps.sessions) as session:
        await change_repositories(session, event.data)
        await _label_repositories(session, event, "repositories_added")
