"""Pull requests: find, open (once), edit, list files, merge with the head guard, update, close."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal

import gidgethub

from bot.github.client import GitHubClient
from bot.github.comments import AppIdentity, post_once
from bot.github.comments import marker as comment_marker
from bot.github.repo import (
    REPO_URL,
    NoCommitsBetween,
    PullNotFound,
    Repo,
    refused_with,
    status_of,
)

log = logging.getLogger(__name__)

PULLS_URL = REPO_URL + "/pulls"
PULLS_QUERY_URL = PULLS_URL + "{?head,base,state,per_page}"
PULL_URL = REPO_URL + "/pulls/{number}"
PULL_FILES_URL = PULL_URL + "/files{?per_page}"
MERGE_URL = PULL_URL + "/merge"
UPDATE_BRANCH_URL = PULL_URL + "/update-branch"

MergeFailure = Literal["stale_head", "not_mergeable"]


@dataclass(frozen=True)
class ChangedFile:
    path: str
    status: str  # added, removed, modified, renamed, copied, changed, unchanged
    patch: str | None  # None for binary files and diffs too large for GitHub to show
    additions: int
    deletions: int
    previous_filename: str | None = None


@dataclass(frozen=True)
class MergeOutcome:
    merged: bool
    sha: str | None  # the merge commit, when merged
    reason: MergeFailure | None = None
    message: str | None = None  # GitHub's words when it refused


def _qualified(repo: Repo, head: str) -> str:
    return head if ":" in head else f"{repo.owner}:{head}"


async def find_pull(
    gh: GitHubClient, repo: Repo, *, head: str, base: str | None = None, state: str = "open"
) -> dict[str, Any] | None:
    """The newest pull request from `head` (into `base`) in that state ("all": any); one GET."""
    query: dict[str, str | int] = {"head": _qualified(repo, head), "state": state, "per_page": 1}
    if base is not None:
        query["base"] = base
    found = await gh.getitem(PULLS_QUERY_URL, repo.url_vars(**query))
    return dict(found[0]) if found else None


async def open_pull(
    gh: GitHubClient, repo: Repo, *, head: str, base: str, title: str, body: str
) -> dict[str, Any]:
    """Opens the pull request, or returns the open one GitHub says exists for head and base."""
    try:
        created = await gh.post(
            PULLS_URL,
            repo.url_vars(),
            data={"title": title, "head": head, "base": base, "body": body},
        )
    except gidgethub.BadRequest as exc:
        if refused_with(exc, "No commits between"):
            raise NoCommitsBetween(head, base) from exc
        if not refused_with(exc, "A pull request already exists"):
            raise
        existing = await find_pull(gh, repo, head=head, base=base)
        if existing is None:
            raise PullNotFound(f"GitHub reports a pull request {head} -> {base}") from exc
        return existing
    log.info(
        "opened pull request #%s",
        created["number"],
        extra={"repository": repo.full_name, "pull": created["number"]},
    )
    return dict(created)


async def edit_pull(
    gh: GitHubClient,
    repo: Repo,
    number: int,
    *,
    title: str | None = None,
    body: str | None = None,
    state: str | None = None,
) -> dict[str, Any]:
    """Changes the given fields (one PATCH); with none given, reads the pull request."""
    given = {"title": title, "body": body, "state": state}
    fields = {name: value for name, value in given.items() if value is not None}
    url_vars = repo.url_vars(number=number)
    if not fields:
        return dict(await gh.getitem(PULL_URL, url_vars))
    return dict(await gh.patch(PULL_URL, url_vars, data=fields))


async def pull_files(gh: GitHubClient, repo: Repo, number: int) -> list[ChangedFile]:
    """The files the pull request changes, with their patches (100 per request)."""
    url_vars = repo.url_vars(number=number, per_page=100)
    return [_changed_file(item) async for item in gh.getiter(PULL_FILES_URL, url_vars)]


def _changed_file(item: dict[str, Any]) -> ChangedFile:
    return ChangedFile(
        path=str(item["filename"]),
        status=str(item["status"]),
        patch=item.get("patch"),
        additions=int(item["additions"]),
        deletions=int(item["deletions"]),
        previous_filename=item.get("previous_filename"),
    )


async def merge_pull(
    gh: GitHubClient,
    repo: Repo,
    number: int,
    *,
    sha: str,
    method: str = "squash",
    title: str | None = None,
    message: str | None = None,
) -> MergeOutcome:
    """Merges if the head is still `sha`. A pull request merged already (by an earlier run of
    the job, or by a person) counts as merged, found with one more GET."""
    data: dict[str, str] = {"sha": sha, "merge_method": method}
    if title is not None:
        data["commit_title"] = title
    if message is not None:
        data["commit_message"] = message
    try:
        merged = await gh.put(MERGE_URL, repo.url_vars(number=number), data=data)
    except gidgethub.BadRequest as exc:
        if status_of(exc) == HTTPStatus.CONFLICT:
            return MergeOutcome(False, None, "stale_head", str(exc))
        if status_of(exc) != HTTPStatus.METHOD_NOT_ALLOWED:
            raise
        pull = await gh.getitem(PULL_URL, repo.url_vars(number=number))
        if pull.get("merged"):
            return MergeOutcome(True, pull.get("merge_commit_sha"))
        return MergeOutcome(False, None, "not_mergeable", str(exc))
    log.info(
        "merged pull request #%s",
        number,
        extra={"repository": repo.full_name, "pull": number, "commit": merged["sha"]},
    )
    return MergeOutcome(True, str(merged["sha"]))


async def update_branch(gh: GitHubClient, repo: Repo, number: int, *, expected_head: str) -> bool:
    """Merges the base into the head branch (GitHub does it asynchronously: the head moves
    later, with a `synchronize` event). False when GitHub refuses: a conflict, or a head that
    is no longer `expected_head`."""
    try:
        await gh.put(
            UPDATE_BRANCH_URL,
            repo.url_vars(number=number),
            data={"expected_head_sha": expected_head},
        )
    except gidgethub.BadRequest as exc:
        if status_of(exc) == HTTPStatus.UNPROCESSABLE_ENTITY:
            return False
        raise
    return True


async def close_pull(
    gh: GitHubClient,
    repo: Repo,
    number: int,
    *,
    app: AppIdentity,
    comment: str | None = None,
) -> bool:
    """Says why in the conversation, then closes; True when it closed the pull request. A
    closed one is left alone, and the comment carries a marker, so a repeat posts and closes
    nothing more."""
    pull = await gh.getitem(PULL_URL, repo.url_vars(number=number))
    if pull["state"] == "closed":
        return False
    if comment is not None:
        mark = comment_marker("close-pull", number)
        await post_once(gh, repo, number, body=comment, mark=mark, app=app)
    await gh.patch(PULL_URL, repo.url_vars(number=number), data={"state": "closed"})
    return True
