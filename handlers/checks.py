"""`check_run`, `check_suite` and `status`: CI started or finished on a commit, so a phase
waiting for CI at that head looks at it again (and merges, or answers a red build). The app's
own validator check is skipped: the review that made it already queued the merge. Another
App's check run is remembered as CI of that repository."""

from __future__ import annotations

from typing import Any

from gidgethub import sansio
from gidgethub.routing import Router

from bot.deps import Deps
from bot.workflow.people import ci_app_seen, ci_finished

router = Router()


def _own(deps: Deps, app: dict[str, Any] | None) -> bool:
    return app is not None and app.get("id") == deps.settings.github_app_id


@router.register("check_run", action="completed")
@router.register("check_suite", action="requested")
@router.register("check_suite", action="completed")
async def check_completed(event: sansio.Event, deps: Deps) -> None:
    check = event.data[event.event]  # the payload's `check_run` or `check_suite`
    app = check.get("app")
    if app is None or _own(deps, app):
        return
    repo_id = int(event.data["repository"]["id"])
    if event.event == "check_run":
        await ci_app_seen(deps, repo_id, int(app["id"]), str(app.get("slug") or ""))
    await ci_finished(deps, repo_id, str(check["head_sha"]), f"ci-{event.delivery_id}")


@router.register("status")
async def status(event: sansio.Event, deps: Deps) -> None:
    if event.data.get("state") == "pending":
        return
    repo_id = int(event.data["repository"]["id"])
    await ci_finished(deps, repo_id, str(event.data["sha"]), f"ci-{event.delivery_id}")
