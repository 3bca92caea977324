"""What every GitHub operation of `bot.github` shares: the repository, the errors, URL helpers.

Operations name repositories with `Repo`; they raise `GitOpsError` subclasses for the outcomes
the workflow acts on (a branch moved under it, a PR with nothing to merge) and let every other
gidgethub exception propagate. GitHub words its refusals in 422 answers, either in `message` or
in `errors[].message`; `refused_with` reads both.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import gidgethub

REPO_URL = "/repos/{owner}/{repo}"


@dataclass(frozen=True)
class Repo:
    owner: str
    name: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @classmethod
    def parse(cls, full_name: str) -> Repo:
        """`Repo.parse("octo-org/hello-world")`."""
        owner, sep, name = full_name.partition("/")
        if not sep or not owner or not name or "/" in name:
            raise ValueError(f"not an owner/name repository: {full_name!r}")
        return cls(owner, name)

    def url_vars(self, **more: str | int) -> dict[str, str]:
        """URI-template variables: owner, repo, and the operation's own."""
        return {"owner": self.owner, "repo": self.name, **{k: str(v) for k, v in more.items()}}


class GitOpsError(Exception):
    """A GitHub operation could not do what was asked, for a reason the workflow handles."""


class BranchMoved(GitOpsError):
    """The branch is no longer where the caller thought: someone pushed to it. Re-read its head;
    their commits are kept."""

    def __init__(self, branch: str, attempted: str) -> None:
        super().__init__(f"branch {branch!r} moved: {attempted[:12]} is not a fast forward of it")
        self.branch = branch
        self.attempted = attempted


class NoCommitsBetween(GitOpsError):
    """A pull request cannot be opened: head has nothing that base lacks."""

    def __init__(self, head: str, base: str) -> None:
        super().__init__(f"no commits between {base!r} and {head!r}")
        self.head = head
        self.base = base


class PullNotFound(GitOpsError):
    """GitHub says a pull request exists for head and base, yet none can be found."""


class EmptyRepository(GitOpsError):
    """The repository has no commits on its default branch yet."""


def path_segment(value: str) -> str:
    """A branch name or file path for a `{+name}` template slot: percent-encoded, slashes kept
    (GitHub routes `git/ref/heads/a/b` and `contents/src/app.py` with literal slashes)."""
    return quote(value, safe="/")


def single_segment(value: str) -> str:
    """A ref for a one-segment `{+name}` slot (a tree sha or branch name): slashes encoded."""
    return quote(value, safe="")


def status_of(exc: gidgethub.HTTPException) -> int:
    return int(exc.status_code)


def refused_with(exc: gidgethub.HTTPException, phrase: str) -> bool:
    """A 422 whose message, or one of whose errors, contains `phrase` (case-insensitive)."""
    if status_of(exc) != HTTPStatus.UNPROCESSABLE_ENTITY:
        return False
    texts = [str(exc)]
    errors: Any = getattr(exc, "errors", None)
    if isinstance(errors, str):
        texts.append(errors)
    elif isinstance(errors, list):
        for error in errors:
            texts.append(error if isinstance(error, str) else str(error.get("message", "")))
    wanted = phrase.lower()
    return any(wanted in text.lower() for text in texts)
