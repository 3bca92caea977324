"""Repository labels the app needs, created when missing (as Dependabot creates its own).

`ensure_labels` lists the repository's labels once (one request for up to 100) and creates
only the missing ones, so a second run makes no write. A create that loses a race answers 422
`already_exists`, which counts as present. A repository that refuses (no permission, archived,
gone: 403, 404, 422) raises `LabelsRefused` at the first refusal, so its caller logs it once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import gidgethub

from bot.github.client import GitHubApp, GitHubClient
from bot.github.repo import REPO_URL, GitOpsError, Repo, status_of

LABELS_URL = REPO_URL + "/labels"
REFUSALS = frozenset({HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND, HTTPStatus.UNPROCESSABLE_ENTITY})


@dataclass(frozen=True)
class Label:
    name: str
    color: str  # six hex digits, without `#`
    description: str  # GitHub keeps at most 100 characters

    def body(self) -> dict[str, str]:
        return {"name": self.name, "color": self.color, "description": self.description}


class LabelsRefused(GitOpsError):
    """The repository does not let the app create its labels."""

    def __init__(self, repo: Repo, status: int, message: str) -> None:
        super().__init__(f"{repo.full_name} refused its labels: {status} {message}")
        self.repo = repo
        self.status = status
        self.reason = message


def already_exists(exc: gidgethub.HTTPException) -> bool:
    """A 422 whose errors say the label is there already."""
    errors: Any = getattr(exc, "errors", None)
    if status_of(exc) != HTTPStatus.UNPROCESSABLE_ENTITY or not isinstance(errors, list):
        return False
    return any(isinstance(e, dict) and e.get("code") == "already_exists" for e in errors)


def refusal(exc: gidgethub.BadRequest) -> bool:
    """GitHub's answer will not change on a retry (rate limits are retried, never refusals)."""
    return not isinstance(exc, gidgethub.RateLimitExceeded) and status_of(exc) in REFUSALS


async def label_names(gh: GitHubClient, repo: Repo) -> set[str]:
    """The repository's label names, case-folded (GitHub compares them without case)."""
    pages = gh.getiter(LABELS_URL + "{?per_page}", repo.url_vars(per_page=100))
    return {str(label["name"]).casefold() async for label in pages}


async def create_label(gh: GitHubClient, repo: Repo, label: Label) -> bool:
    """True when created; False when GitHub says it exists already."""
    try:
        await gh.post(LABELS_URL, repo.url_vars(), data=label.body())
    except gidgethub.BadRequest as exc:
        if already_exists(exc):
            return False
        raise
    return True


async def ensure_labels(gh: GitHubClient, repo: Repo, labels: Iterable[Label]) -> list[str]:
    """Creates the labels the repository lacks; returns the names created."""
    present = await label_names(gh, repo)
    missing = [label for label in labels if label.name.casefold() not in present]
    return [label.name for label in missing if await create_label(gh, repo, label)]


async def ensure_repo_labels(
    github: GitHubApp, installation_id: int, repo: Repo, labels: Sequence[Label]
) -> list[str]:
    """`ensure_labels` as the installation; a refusal (the token included) is `LabelsRefused`."""
    try:
        gh = await github.installation_client(installation_id)
        return await ensure_labels(gh, repo, labels)
    except gidgethub.BadRequest as exc:
        if refusal(exc):
            raise LabelsRefused(repo, status_of(exc), str(exc) or "no message") from exc
        raise
