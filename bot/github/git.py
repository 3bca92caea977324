"""Branches, files and commits through the Git Database API.

`commit_files` writes any number of files as one commit in three requests (tree with inline
contents on `base_tree`, commit, ref), with no custom author or committer so GitHub signs the
commit as the App's own (Verified). It is idempotent: a re-run whose tree is already the
parent's makes no commit. A branch that moved under it raises `BranchMoved`, never a force push.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import gidgethub

from bot.github.client import GitHubClient
from bot.github.repo import (
    REPO_URL,
    BranchMoved,
    EmptyRepository,
    Repo,
    path_segment,
    refused_with,
    single_segment,
    status_of,
)

log = logging.getLogger(__name__)

REF_URL = REPO_URL + "/git/ref/{+ref}"
REFS_URL = REPO_URL + "/git/refs"
REF_UPDATE_URL = REPO_URL + "/git/refs/{+ref}"
TREES_URL = REPO_URL + "/git/trees"
TREE_URL = REPO_URL + "/git/trees/{+tree}{?recursive}"
COMMITS_URL = REPO_URL + "/git/commits"
COMMIT_URL = REPO_URL + "/git/commits/{sha}"
BLOB_URL = REPO_URL + "/git/blobs/{sha}"
CONTENTS_URL = REPO_URL + "/contents/{+path}{?ref}"
FILE_MODE = "100644"


@dataclass(frozen=True)
class Branch:
    name: str
    sha: str


@dataclass(frozen=True)
class Commit:
    sha: str
    tree: str
    created: bool  # False: the files were already there, no commit was made


def _heads(branch: str) -> str:
    return "heads/" + path_segment(branch)


async def default_branch(gh: GitHubClient, repo: Repo) -> Branch:
    """The default branch and its head (GET the repository, then its ref: two requests)."""
    data = await gh.getitem(REPO_URL, repo.url_vars())
    name = str(data["default_branch"])
    sha = await branch_head(gh, repo, name)
    if sha is None:
        raise EmptyRepository(f"{repo.full_name} has no commit on {name!r}")
    return Branch(name, sha)


async def branch_head(gh: GitHubClient, repo: Repo, branch: str) -> str | None:
    """The branch's head commit sha, None when the branch does not exist."""
    try:
        data = await gh.getitem(REF_URL, repo.url_vars(ref=_heads(branch)))
    except gidgethub.BadRequest as exc:
        if status_of(exc) == HTTPStatus.NOT_FOUND:
            return None
        raise
    return str(data["object"]["sha"])


async def read_file(gh: GitHubClient, repo: Repo, path: str, ref: str | None = None) -> str | None:
    """A file's text at `ref` (branch, tag or sha; None: the default branch, whose name the
    caller need not know); None when there is no file at that path."""
    where = {"path": path_segment(path)} | ({"ref": ref} if ref is not None else {})
    try:
        data = await gh.getitem(CONTENTS_URL, repo.url_vars(**where))
    except gidgethub.BadRequest as exc:
        if status_of(exc) == HTTPStatus.NOT_FOUND:
            return None
        raise
    if not isinstance(data, dict) or data.get("type") != "file":
        return None  # a directory, symlink or submodule: not a file's text
    if data.get("encoding") != "base64":
        # Files over 1 MB come without content from the Contents API: read their blob.
        data = await gh.getitem(BLOB_URL, repo.url_vars(sha=str(data["sha"])))
    return _decode(str(data.get("content") or ""))


def _decode(content: str) -> str:
    return base64.b64decode(content).decode("utf-8", errors="replace")


async def list_paths(gh: GitHubClient, repo: Repo, ref: str) -> list[str]:
    """Every file path at `ref`, from one recursive tree request."""
    data = await gh.getitem(TREE_URL, repo.url_vars(tree=single_segment(ref), recursive="1"))
    if data.get("truncated"):
        # GitHub stops at 100,000 entries; a repository that big gets a partial listing.
        log.warning(
            "tree of %s at %s truncated by GitHub",
            repo.full_name,
            ref,
            extra={"repository": repo.full_name},
        )
    return [str(item["path"]) for item in data["tree"] if item["type"] == "blob"]


async def commit_files(
    gh: GitHubClient,
    repo: Repo,
    *,
    branch: str,
    files: Mapping[str, str | None],
    message: str,
    parent: str,
    parent_tree: str | None = None,
    branch_exists: bool | None = None,
) -> Commit:
    """Commits `files` (text, or None to delete) on top of `parent` and moves `branch` to it.

    Three writes whatever the number of files, plus one read when `parent_tree` is unknown.
    `branch_exists`: True moves the ref (PATCH), False creates it (POST), None tries the PATCH
    and creates the ref when GitHub says it does not exist (one more request then).
    """
    if parent_tree is None:
        parent_tree = await commit_tree(gh, repo, parent)
    if not files:
        return Commit(parent, parent_tree, created=False)
    tree = await gh.post(
        TREES_URL,
        repo.url_vars(),
        data={"base_tree": parent_tree, "tree": [_tree_entry(p, c) for p, c in files.items()]},
    )
    tree_sha = str(tree["sha"])
    if tree_sha == parent_tree:
        return Commit(parent, parent_tree, created=False)  # already committed: a re-run
    # No author or committer: GitHub then signs the commit as the App's (Verified).
    made = await gh.post(
        COMMITS_URL,
        repo.url_vars(),
        data={"message": message, "tree": tree_sha, "parents": [parent]},
    )
    sha = str(made["sha"])
    await _move_branch(gh, repo, branch, sha, branch_exists)
    log.info(
        "committed %d file(s) on %s",
        len(files),
        branch,
        extra={"repository": repo.full_name, "branch": branch, "commit": sha},
    )
    return Commit(sha, tree_sha, created=True)


async def commit_tree(gh: GitHubClient, repo: Repo, sha: str) -> str:
    """The tree sha of a commit."""
    data = await gh.getitem(COMMIT_URL, repo.url_vars(sha=sha))
    return str(data["tree"]["sha"])


def _tree_entry(path: str, content: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": path, "mode": FILE_MODE, "type": "blob"}
    if content is None:
        entry["sha"] = None  # deletes the path
    else:
        entry["content"] = content
    return entry


async def _move_branch(
    gh: GitHubClient, repo: Repo, branch: str, sha: str, exists: bool | None
) -> None:
    if exists is False:
        try:
            await _create_ref(gh, repo, branch, sha)
            return
        except gidgethub.BadRequest as exc:
            if not refused_with(exc, "Reference already exists"):
                raise
            # Made meanwhile (an earlier run of this job): fast-forward it if we can.
    try:
        await gh.patch(
            REF_UPDATE_URL,
            repo.url_vars(ref=_heads(branch)),
            data={"sha": sha, "force": False},
        )
    except gidgethub.BadRequest as exc:
        if refused_with(exc, "not a fast forward"):
            raise BranchMoved(branch, sha) from exc
        if exists is None and refused_with(exc, "Reference does not exist"):
            await _create_ref(gh, repo, branch, sha)
            return
        raise


async def _create_ref(gh: GitHubClient, repo: Repo, branch: str, sha: str) -> None:
    await gh.post(REFS_URL, repo.url_vars(), data={"ref": f"refs/heads/{branch}", "sha": sha})
