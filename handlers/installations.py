"""`installation` and `installation_repositories`: keep the installations table current."""

from __future__ import annotations

from gidgethub import sansio
from gidgethub.routing import Router

from bot.deps import Deps
from storage.db import transaction
from storage.installations import change_repositories, set_installation_state, upsert_installation

router = Router()


@router.register("installation", action="created")
@router.register("installation", action="new_permissions_accepted")
@router.register("installation", action="unsuspend")
async def installation_active(event: sansio.Event, deps: Deps) -> None:
    async with transaction(deps.sessions) as session:
        await upsert_installation(session, event.data)
        await set_installation_state(session, event.data["installation"]["id"], suspended=False)


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
