"""Reactions to issues, issue comments and review comments.

A repeated reaction by the same user answers 200 with the existing one (201 when created), so
reacting is safe to repeat.
"""

from __future__ import annotations

from tests.fakegithub.base import FakeBase
from tests.fakegithub.model import Reaction, User
from tests.fakegithub.router import Call, Reply, Routes, not_found, paginate
from tests.fakegithub.routes_issues import get_comment, get_issue
from tests.fakegithub.shapes_issues import reaction_json

routes = Routes()


def react(
    fake: FakeBase, reactions: list[Reaction], content: str, user: User
) -> tuple[Reaction, bool]:
    """(reaction, created): a repeated reaction by the same user is the existing one."""
    for reaction in reactions:
        if reaction.user.id == user.id and reaction.content == content:
            return reaction, False
    reaction = Reaction(fake.state.next_id(), content, user, fake.now())
    reactions.append(reaction)
    return reaction, True


def _reaction_reply(call: Call, reactions: list[Reaction]) -> Reply:
    reaction, created = react(call.fake, reactions, str(call.field("content")), call.actor)
    return Reply(201 if created else 200, reaction_json(call.fake.urls, reaction))


@routes.post("/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions")
def react_to_comment(call: Call) -> Reply:
    repo = call.repo()
    return _reaction_reply(call, get_comment(call, repo).reactions)


@routes.get("/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions")
def list_comment_reactions(call: Call) -> Reply:
    repo = call.repo()
    reactions = get_comment(call, repo).reactions
    content = call.query.get("content")
    found = [r for r in reactions if content in (None, r.content)]
    return paginate(call, [reaction_json(call.fake.urls, r) for r in found])


@routes.post("/repos/{owner}/{repo}/issues/{issue_number}/reactions")
def react_to_issue(call: Call) -> Reply:
    repo = call.repo()
    return _reaction_reply(call, get_issue(call, repo).reactions)


@routes.get("/repos/{owner}/{repo}/issues/{issue_number}/reactions")
def list_issue_reactions(call: Call) -> Reply:
    repo = call.repo()
    reactions = get_issue(call, repo).reactions
    return paginate(call, [reaction_json(call.fake.urls, r) for r in reactions])


@routes.post("/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions")
def react_to_review_comment(call: Call) -> Reply:
    repo = call.repo()
    comment = repo.review_comments.get(call.number("comment_id"))
    if comment is None:
        raise not_found()
    return _reaction_reply(call, comment.reactions)
