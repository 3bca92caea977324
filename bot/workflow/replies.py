"""Answers to people's review comments, posted after the revision that handled them: in the
comment's thread, or for a review's own text, once in the pull request's conversation."""

from __future__ import annotations

from bot.github.comments import marker, post_once
from bot.github.reviews import reply_to_review_comment
from bot.status import markdown as md
from bot.workflow.context import Flow
from storage.db import transaction
from storage.workflow import Feedback, Phase, mark_feedback, unreplied_feedback

ANSWER = "{reply}\n\n— the developer agent, revision `{sha}`"
REVIEW_ANSWER = "@{author} {reply}\n\n— the developer agent, revision `{sha}`"


async def _post(flow: Flow, phase: Phase, item: Feedback) -> None:
    """Found or created, as every artefact: a job that died after posting, before recording
    it, finds its answer by the marker (on the app's own comment only)."""
    assert phase.pr_number is not None and item.id is not None
    sha = (phase.head_sha or "")[:7]
    mark, app = marker("reply", f"{flow.id}-{item.id}"), await flow.identity()
    if item.comment_id is not None:
        body = ANSWER.format(reply=md.model_markdown(item.reply or ""), sha=sha)
        await reply_to_review_comment(
            flow.gh, flow.repo, phase.pr_number, item.comment_id, body, marker=mark, app=app
        )
        return
    reply = md.model_markdown(item.reply or "")
    body = REVIEW_ANSWER.format(author=item.author, reply=reply, sha=sha)
    await post_once(flow.gh, flow.repo, phase.pr_number, body=body, mark=mark, app=app)


async def post_replies(flow: Flow, phase: Phase) -> None:
    """Posts each handled comment's answer not yet posted (a re-run posts only the rest)."""
    async with flow.deps.sessions() as session:
        waiting = await unreplied_feedback(session, project_id=flow.id, phase=phase.number)
    for item in waiting:
        if item.reply is not None and phase.pr_number is not None:
            await _post(flow, phase, item)
        async with transaction(flow.deps.sessions) as session:
            await mark_feedback(session, [int(item.id or 0)], replied=True)
