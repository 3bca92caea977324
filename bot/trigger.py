"""Which labels start a project in a repository: the app's TRIGGER_LABEL, and the repository's
own `trigger_label` from its options when they name one (its own file, or what it inherits from
the owner's `.github` repository and `_extends`: `bot.options_chain`).

The options are read from the default branch at most once per repository every five minutes
(cachetools), so a busy repository's label events cost at most a request per file each.
"""

from __future__ import annotations

import logging
from typing import Any

from cachetools import TTLCache
from gidgethub import GitHubException

from bot.github.client import GitHubApp
from bot.github.repo import Repo
from bot.options_chain import OptionsFiles, resolve_options

log = logging.getLogger(__name__)


class TriggerLabels:
    def __init__(self, *, ttl: float = 300.0, maxsize: int = 4096) -> None:
        self._cache: TTLCache[tuple[int, str], str | None] = TTLCache(maxsize=maxsize, ttl=ttl)

    async def repo_label(
        self, github: GitHubApp, files: OptionsFiles, payload: dict[str, Any]
    ) -> str | None:
        """The repository's own trigger label, or None (unset, or the file is unreadable)."""
        repository = payload["repository"]
        key = (int(payload["installation"]["id"]), str(repository["full_name"]).lower())
        if key not in self._cache:
            self._cache[key] = await self._read(github, files, key[0], repository)
        return self._cache[key]

    async def _read(
        self,
        github: GitHubApp,
        files: OptionsFiles,
        installation_id: int,
        repository: dict[str, Any],
    ) -> str | None:
        repo = Repo(repository["owner"]["login"], repository["name"])
        branch = repository.get("default_branch") or "main"
        try:
            gh = await github.installation_client(installation_id)
            resolved = await resolve_options(files, gh, installation_id, repo, branch)
        except GitHubException as exc:
            log.warning("options of %s unreadable (%s): only TRIGGER_LABEL counts", repo, exc)
            return None
        return resolved.options.trigger_label

    async def matches(
        self,
        github: GitHubApp,
        files: OptionsFiles,
        payload: dict[str, Any],
        default: str,
        label: str,
    ) -> bool:
        """Whether `label` starts a project here (label names compare case-insensitively)."""
        wanted = label.casefold()
        if wanted == default.casefold():
            return True
        own = await self.repo_label(github, files, payload)
        return own is not None and wanted == own.casefold()
