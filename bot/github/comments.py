"""Comments the app posts exactly once, found again by a hidden marker in their body.

A job that crashed after posting and runs again must edit its comment, not post a second one:
every app comment carries `<!-- ai-orchestrator:<kind>:<key> -->`, and the job looks for it.

Markers are predictable, so a marker counts only where the app put it: on its own comment
(`written_by_app`), as the body's last line (`carries_marker`). A person who posts a marker
first neither gets their comment adopted nor silences the app; a marker quoted in model text
above the app's own marker is not one.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gidgethub import BadRequest

from bot.github.client import GitHubApp, GitHubClient
from bot.github.repo import REPO_URL, Repo

ISSUE_COMMENTS = REPO_URL + "/issues/{number}/comments"
ISSUE_COMMENT = REPO_URL + "/issues/comments/{comment_id}"


@dataclass(frozen=True)
class AppIdentity:
    """Who the app is on GitHub: its id and its bot account's login (`<slug>[bot]`)."""

    app_id: int
    bot_login: str


_IDENTITIES: weakref.WeakKeyDictionary[GitHubApp, AppIdentity] = weakref.WeakKeyDictionary()


async def app_identity(github: GitHubApp) -> AppIdentity:
    """The App's identity, asked once per process (`GET /app`: the slug is not configured)."""
    known = _IDENTITIES.get(github)
    if known is None:
        answer = await github.app_client().getitem("/app")
        known = AppIdentity(github.app_id, f"{answer['slug']}[bot]")
        _IDENTITIES[github] = known
    return known


def written_by_app(item: Mapping[str, Any], app: AppIdentity) -> bool:
    """Whether an issue comment, review or review comment was written by the app itself.

    Its author is the app's bot account, or GitHub says the app performed it (only issue
    comments carry `performed_via_github_app`). The latter counts for a bot author only: a
    person acting through the app with a user token gets the app's name there too."""
    user = item.get("user") or {}
    if str(user.get("login", "")).lower() == app.bot_login.lower():
        return True
    via = item.get("performed_via_github_app") or {}
    return user.get("type") == "Bot" and via.get("id") == app.app_id


def carries_marker(body: str | None, mark: str) -> bool:
    """`mark` is the body's last line, where the app puts its markers (`with_marker`)."""
    lines = (body or "").rstrip().splitlines()
    return bool(lines) and lines[-1].strip() == mark


def marker(kind: str, key: str | int) -> str:
    return f"<!-- ai-orchestrator:{kind}:{key} -->"


def with_marker(body: str, mark: str) -> str:
    return f"{body}\n\n{mark}"


async def find_marked_comment(
    gh: GitHubClient, repo: Repo, number: int, mark: str, app: AppIdentity
) -> dict[str, Any] | None:
    """The issue's (or pull request's) comment by the app whose body ends with `mark`."""
    url_vars = repo.url_vars(number=number, per_page=100)
    async for comment in gh.getiter(ISSUE_COMMENTS + "{?per_page}", url_vars):
        if written_by_app(comment, app) and carries_marker(comment.get("body"), mark):
            return dict(comment)
    return None


async def post_once(
    gh: GitHubClient, repo: Repo, number: int, *, body: str, mark: str, app: AppIdentity
) -> int:
    """Posts `body` unless the app's comment with `mark` exists; returns the comment's id."""
    existing = await find_marked_comment(gh, repo, number, mark, app)
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
    app: AppIdentity,
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
    existing = await find_marked_comment(gh, repo, number, mark, app)
    if existing is None:
        return await post_once(gh, repo, number, body=body, mark=mark, app=app)
    if existing.get("body") != full_body:
        url_vars = repo.url_vars(comment_id=existing["id"])
        await gh.patch(ISSUE_COMMENT, url_vars=url_vars, data={"body": full_body})
    return int(existing["id"])
