"""`pull_request`: a person merging a phase's pull request by hand, or pushing to its branch.

The app's own merges and pushes come back from its bot account and are dropped before this.
"""

from __future__ import annotations

from gidgethub import sansio
from gidgethub.routing import Router

from bot.deps import Deps
from bot.workflow.people import pull_closed, pull_pushed

router = Router()


@router.register("pull_request", action="closed")
async def closed(event: sansio.Event, deps: Deps) -> None:
    await pull_closed(deps, event.data)


@router.register("pull_request", action="synchronize")
async def synchronized(event: sansio.Event, deps: Deps) -> None:
    await pull_pushed(deps, event.data)
