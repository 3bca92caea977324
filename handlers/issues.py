"""`issues`: the trigger label starts a project."""

from __future__ import annotations

from typing import Any

from gidgethub import sansio
from gidgethub.routing import Router

from bot.context import Deps
from bot.projects import start_from_issue

router = Router()


def _is_trigger(label: dict[str, Any] | None, trigger: str) -> bool:
    # GitHub label names are unique case-insensitively.
    return bool(label) and str(label.get("name", "")).casefold() == trigger.casefold()  # type: ignore[union-attr]


@router.register("issues", action="labeled")
async def issue_labeled(event: sansio.Event, deps: Deps) -> None:
    if _is_trigger(event.data.get("label"), deps.settings.trigger_label):
        await start_from_issue(deps, event.data, delivery_id=event.delivery_id)


@router.register("issues", action="opened")
async def issue_opened(event: sansio.Event, deps: Deps) -> None:
    labels = event.data["issue"].get("labels") or []
    if any(_is_trigger(label, deps.settings.trigger_label) for label in labels):
        await start_from_issue(deps, event.data, delivery_id=event.delivery_id)
