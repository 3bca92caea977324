"""`issue_comment`: slash commands in a project's issue or one of its pull requests."""

from __future__ import annotations

from gidgethub import sansio
from gidgethub.routing import Router

from bot.commands.intake import handle_comment
from bot.deps import Deps

router = Router()


@router.register("issue_comment", action="created")
async def comment_created(event: sansio.Event, deps: Deps) -> None:
    await handle_comment(deps, event.data)
