"""Tests acting as an account owner installing, suspending or uninstalling the App.

Each helper changes the fake's installations and returns the `installation` or
`installation_repositories` webhook GitHub would send (checked against its description).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tests.fakegithub.model import Event, Installation, Repo
from tests.fakegithub.shapes import installation_json, node_id, organization_json, user_json
from tests.fakegithub.world import WorldMixin


class InstallsMixin(WorldMixin):
    def _installation_event(
        self, event: str, action: str, installation: Installation, login: str, **fields: Any
    ) -> Event:
        app = self.state.apps[installation.app_id]
        payload: dict[str, Any] = {
            "action": action,
            "installation": installation_json(self.urls, installation, app),
            **fields,
            "sender": user_json(self.urls, self.user(login)),
        }
        if installation.account.type == "Organization":
            payload["organization"] = organization_json(self.urls, installation.account)
        return self.checked(event, payload)

    def _repositories(self, repos: list[Repo]) -> list[dict[str, Any]]:
        return [
            {
                "id": repo.id,
                "node_id": node_id("Repository", repo.id),
                "name": repo.name,
                "full_name": repo.full_name,
                "private": repo.private,
            }
            for repo in repos
        ]

    def _installed_repos(self, installation: Installation) -> list[Repo]:
        return [
            repo
            for repo in self.state.repos.values()
            if repo.owner.id == installation.account.id
            and (
                installation.repository_selection == "all" or repo.id in installation.repository_ids
            )
        ]

    def person_installs_app(
        self, login: str, account: str, *, repositories: list[str] | None = None
    ) -> tuple[Installation, Event]:
        """`installation.created`: the App installed on `account` (all repos, or those named)."""
        installation = self.install(self.app, account, repositories=repositories)
        repos = self._repositories(self._installed_repos(installation))
        return installation, self._installation_event(
            "installation", "created", installation, login, repositories=repos
        )

    def person_uninstalls_app(self, login: str, installation_id: int) -> Event:
        """`installation.deleted`; the installation and its tokens stop working."""
        installation = self.state.installations[installation_id]
        repos = self._repositories(self._installed_repos(installation))
        event = self._installation_event(
            "installation", "deleted", installation, login, repositories=repos
        )
        del self.state.installations[installation_id]
        return event

    def person_suspends_app(
        self, login: str, installation_id: int, *, suspend: bool = True
    ) -> Event:
        """`installation.suspend` (or `unsuspend`); a suspended installation gets no tokens."""
        installation = self.state.installations[installation_id]
        installation.suspended_at = self.now() if suspend else None
        action = "suspend" if suspend else "unsuspend"
        return self._installation_event("installation", action, installation, login)

    def person_changes_installed_repos(
        self,
        login: str,
        installation_id: int,
        *,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
    ) -> Event:
        """`installation_repositories.added` or `.removed`, for a "selected" installation."""
        installation = self.state.installations[installation_id]
        if installation.repository_selection == "all":
            installation.repository_selection = "selected"
            installation.repository_ids = {r.id for r in self._installed_repos(installation)}
        owner = installation.account.login
        added = [self.get_repo(f"{owner}/{name}") for name in add]
        removed = [self.get_repo(f"{owner}/{name}") for name in remove]
        installation.repository_ids |= {repo.id for repo in added}
        installation.repository_ids -= {repo.id for repo in removed}
        return self._installation_event(
            "installation_repositories",
            "added" if added else "removed",
            installation,
            login,
            repository_selection=installation.repository_selection,
            repositories_added=self._repositories(added),
            repositories_removed=self._repositories(removed),
            requester=None,
        )
