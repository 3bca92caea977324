"""`issues`: the trigger label starts a project."""

from __future__ import annotations

from typing import Any

from gidgethub import sansio
from gidgethub.routing import Router

from bot.deps import Deps
from bot.workflow.start import start_from_issue

router = Router()


async def _starts_project(deps: Deps, event: sansio.Event, label: Any) -> bool:
    if not isinstance(label, dict) or not label.get("name"):
        return False
    if not event.data.get("installation"):  # not sent to an App installation: nothing to act as
        return False
    return await deps.triggers.matches(
        deps.github, deps.options_files, event.data, deps.settings.trigger_label, str(label["name"])
    )


@router.register("issues", action="labeled")
async def issue_labeled(event: sansio.Event, deps: Deps) -> None:
    if await _starts_project(deps, event, event.data.get("label")):
        await start_from_issue(deps, event.data, delivery_id=event.delivery_id)


@router.register("issues", action="opened")
async def issue_opened(event: sansio.Event, deps: Deps) -> None:
    for label in event.data["issue"].get("labels") or []:
        if await _starts_project(deps, event, label):
            await start_from_issue(deps, event.data, delivery_id=event.delivery_id)
            return
