"""Reviews the App posts on its own pull requests, replies in review threads, reactions.

GitHub refuses APPROVE and REQUEST_CHANGES from a pull request's author, so the App reviews its
own pull requests with `COMMENT` (the verdict goes to a check run). An inline comment on a line
outside the diff makes GitHub refuse the whole review (422), so such comments are folded into
the review's body instead. A hidden marker in the body of a review, and of a reply in a thread,
makes a repeated post find the first.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.github.client import GitHubClient
from bot.github.comments import AppIdentity, carries_marker, with_marker, written_by_app
from bot.github.pulls import PULL_URL, ChangedFile, pull_files
from bot.github.repo import REPO_URL, Repo

log = logging.getLogger(__name__)

REVIEWS_URL = PULL_URL + "/reviews"
REVIEWS_LIST_URL = REVIEWS_URL + "{?per_page}"
REPLIES_URL = PULL_URL + "/comments/{comment_id}/replies"
REVIEW_COMMENTS_URL = PULL_URL + "/comments{?per_page}"
REACTIONS_URL = REPO_URL + "/issues/comments/{comment_id}/reactions"
OUTSIDE_DIFF_HEADING = "**On lines outside this diff**"


@dataclass(frozen=True)
class InlineComment:
    path: str
    line: int  # a line of the new file (side RIGHT)
    body: str


def commentable_lines(patch: str | None) -> frozenset[int]:
    """New-file lines inside the patch's hunks (added or context): where GitHub takes a
    RIGHT-side review comment."""
    lines: set[int] = set()
    new_line = 0
    for text in (patch or "").splitlines():
        if text.startswith("@@"):
            new_start = text.split(" ")[2]  # "@@ -12,7 +12,9 @@ def f():" -> "+12,9"
            new_line = int(new_start[1:].split(",")[0])
        elif text.startswith("-") or text.startswith("\\"):  # removed; "\ No newline at end"
            continue
        else:
            lines.add(new_line)
            new_line += 1
    return frozenset(lines)


def split_comments(
    comments: Iterable[InlineComment], files: Iterable[ChangedFile]
) -> tuple[list[InlineComment], list[InlineComment]]:
    """(comments GitHub will place on their line, comments on lines outside the diff)."""
    allowed = {changed.path: commentable_lines(changed.patch) for changed in files}
    placed: list[InlineComment] = []
    outside: list[InlineComment] = []
    for comment in comments:
        fits = comment.line in allowed.get(comment.path, frozenset())
        (placed if fits else outside).append(comment)
    return placed, outside


def review_body(body: str, outside: Sequence[InlineComment], marker: str) -> str:
    parts = [body.rstrip()] if body.strip() else []
    if outside:
        notes = "\n".join(f"- `{c.path}` line {c.line}: {c.body}" for c in outside)
        parts.append(f"{OUTSIDE_DIFF_HEADING}\n\n{notes}")
    parts.append(marker)
    return "\n\n".join(parts)


async def find_review(
    gh: GitHubClient, repo: Repo, number: int, marker: str, app: AppIdentity
) -> int | None:
    """The id of the pull request's review by the app whose body ends with `marker`."""
    url_vars = repo.url_vars(number=number, per_page=100)
    async for review in gh.getiter(REVIEWS_LIST_URL, url_vars):
        if written_by_app(review, app) and carries_marker(review.get("body"), marker):
            return int(review["id"])
    return None


async def post_review(
    gh: GitHubClient,
    repo: Repo,
    number: int,
    *,
    commit_sha: str,
    body: str,
    comments: Sequence[InlineComment],
    marker: str,
    app: AppIdentity,
    files: Sequence[ChangedFile] | None = None,
    find_existing: bool = True,
) -> int:
    """Posts one COMMENT review with inline comments, once per marker; returns its id.

    Requests: the reviews list, the pull request's files unless `files` is given (or there is
    no inline comment), the review. `find_existing=False` skips the list, for a caller that
    knows nothing was posted yet (the first attempt of its job).
    """
    if find_existing:
        existing = await find_review(gh, repo, number, marker, app)
        if existing is not None:
            return existing
    if files is None:
        files = await pull_files(gh, repo, number) if comments else []
    placed, outside = split_comments(comments, files)
    data = {
        "commit_id": commit_sha,
        "body": review_body(body, outside, marker),
        "event": "COMMENT",
        "comments": [
            {"path": c.path, "line": c.line, "side": "RIGHT", "body": c.body} for c in placed
        ],
    }
    review = await gh.post(REVIEWS_URL, repo.url_vars(number=number), data=data)
    log.info(
        "reviewed pull request #%s: %d inline comment(s), %d folded into the body",
        number,
        len(placed),
        len(outside),
        extra={"repository": repo.full_name, "pull": number},
    )
    return int(review["id"])


async def find_reply(
    gh: GitHubClient, repo: Repo, number: int, marker: str, app: AppIdentity
) -> int | None:
    """The id of the app's reply, in a review thread of the pull request, whose body ends with
    `marker` (a marker names the comment answered, so no thread needs to be told apart)."""
    url_vars = repo.url_vars(number=number, per_page=100)
    async for comment in gh.getiter(REVIEW_COMMENTS_URL, url_vars):
        reply = comment.get("in_reply_to_id") is not None
        if reply and written_by_app(comment, app) and carries_marker(comment.get("body"), marker):
            return int(comment["id"])
    return None


async def reply_to_review_comment(
    gh: GitHubClient,
    repo: Repo,
    number: int,
    comment_id: int,
    body: str,
    *,
    marker: str,
    app: AppIdentity,
) -> int:
    """Answers in a review comment's thread once per marker: a reply posted before (by a job
    that died before recording it) is found among the pull request's review comments, one
    listing, and no second is posted. Returns the reply's id."""
    existing = await find_reply(gh, repo, number, marker, app)
    if existing is not None:
        return existing
    url_vars = repo.url_vars(number=number, comment_id=comment_id)
    reply = await gh.post(REPLIES_URL, url_vars, data={"body": with_marker(body, marker)})
    return int(reply["id"])


async def add_reaction(
    gh: GitHubClient, repo: Repo, comment_id: int, content: str = "eyes"
) -> None:
    """Reacts to an issue (or pull request conversation) comment; repeating it is harmless."""
    url_vars = repo.url_vars(comment_id=comment_id)
    await gh.post(REACTIONS_URL, url_vars, data={"content": content})
