"""Comments the app posts exactly once, found again by a hidden marker in their body.

A job that crashed after posting and runs again must edit its comment, not post a second one:
every app comment carries `<!-- ai-orchestrator:<kind>:<key> -->`, and the job looks for it.
"""

from __future__ import annotations

from typing import Any

from gidgethub import BadRequest

from bot.github.client import GitHubClient
from bot.github.repo import REPO_URL, Repo

ISSUE_COMMENTS = REPO_URL + "/issues/{number}/comments"
ISSUE_COMMENT = REPO_URL + "/issues/comments/{comment_id}"


def marker(kind: str, key: str | int) -> str:
    return f"<!-- ai-orchestrator:{kind}:{key} -->"


def with_marker(body: str, mark: str) -> str:
    return f"{body}\n\n{mark}"


async def find_marked_comment(
    gh: GitHubClient, repo: Repo, number: int, mark: str
) -> dict[str, Any] | None:
    """The issue's (or pull request's) comment whose body carries `mark`."""
    url_vars = repo.url_vars(number=number, per_page=100)
    async for comment in gh.getiter(ISSUE_COMMENTS + "{?per_page}", url_vars):
        if mark in (comment.get("body") or ""):
            return dict(comment)
    return None


async def post_once(gh: GitHubClient, repo: Repo, number: int, *, body: str, mark: str) -> int:
    """Posts `body` unless a comment with `mark` exists; returns the comment's id."""
    existing = await find_marked_comment(gh, repo, number, mark)
    if existing is not None:
        return int(existing["id"])
    created = await gh.post(
        ISSUE_COMMENTS, repo.url_vars(number=number), data={"body": with_marker(body, mark)}
    )
    return int(created["id"])


async def upsert_comment(
    gh: GitHubClient,
    repo: Repo,
    number: int,
    *,
    body: str,
    mark: str,
    comment_id: int | None,
) -> int:
    """Edits the marked comment in place (by id, else found by marker), or posts it once."""
    full_body = with_marker(body, mark)
    if comment_id is not None:
        url_vars = repo.url_vars(comment_id=comment_id)
        try:
            await gh.patch(ISSUE_COMMENT, url_vars=url_vars, data={"body": full_body})
            return comment_id
        except BadRequest as exc:
            if exc.status_code.value != 404:  # deleted by a person: post it again below
                raise
    existing = await find_marked_comment(gh, repo, number, mark)
    if existing is None:
        return await post_once(gh, repo, number, body=body, mark=mark)
    if existing.get("body") != full_body:
        url_vars = repo.url_vars(comment_id=existing["id"])
        await gh.patch(ISSUE_COMMENT, url_vars=url_vars, data={"body": full_body})
    return int(existing["id"])
