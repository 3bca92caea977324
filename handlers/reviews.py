"""`pull_request_review` and `pull_request_review_comment`: people reviewing a phase's pull
request like a colleague's. Changes requested, a commented review's text, or an inline comment
by someone with write permission starts a revision that answers it."""

from __future__ import annotations

from gidgethub import sansio
from gidgethub.routing import Router

from bot.deps import Deps
from bot.workflow.people import feedback
from storage.workflow import Feedback

router = Router()

ANSWERED_STATES = frozenset({"changes_requested", "commented"})


@router.register("pull_request_review", action="submitted")
async def review_submitted(event: sansio.Event, deps: Deps) -> None:
    review = event.data["review"]
    if str(review.get("state", "")).lower() not in ANSWERED_STATES:
        return
    item = Feedback(
        project_id=0,
        phase=0,
        source=f"review-{review['id']}",
        author=review["user"]["login"],
        body=review.get("body") or "",
    )
    await feedback(deps, event.data, item)


@router.register("pull_request_review_comment", action="created")
async def review_comment(event: sansio.Event, deps: Deps) -> None:
    comment = event.data["comment"]
    item = Feedback(
        project_id=0,
        phase=0,
        source=f"comment-{comment['id']}",
        comment_id=int(comment["id"]),
        author=comment["user"]["login"],
        body=comment.get("body") or "",
        path=comment.get("path"),
        line=comment.get("line"),
    )
    await feedback(deps, event.data, item)
