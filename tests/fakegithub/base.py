"""What every part of the fake shares: state, URLs, the clock, webhooks out, violations."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NoReturn

from tests.fakegithub.gitstore import Person
from tests.fakegithub.model import App, Event, Installation, Repo, State, User
from tests.fakegithub.openapi import OpenAPISpec
from tests.fakegithub.shapes import Urls


class FakeGitHubViolation(AssertionError):
    """The app sent GitHub something GitHub does not accept (or the fake broke its own rules)."""


class FakeBase:
    def __init__(
        self,
        spec: OpenAPISpec,
        *,
        api_url: str,
        web_url: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.spec = spec
        self.state = State()
        self.urls = Urls(api=api_url.rstrip("/"), web=web_url.rstrip("/"))
        self.clock = clock
        self.outbox: list[Event] = []
        self.violations: list[str] = []

    @property
    def api_url(self) -> str:
        return self.urls.api

    def now(self) -> datetime:
        return datetime.fromtimestamp(int(self.clock()), UTC)

    def violation(self, message: str) -> NoReturn:
        self.violations.append(message)
        raise FakeGitHubViolation(message)

    def installation_for(self, repo: Repo, app: App | None = None) -> Installation | None:
        for installation in self.state.installations.values():
            if installation.account.id != repo.owner.id:
                continue
            if app is not None and installation.app_id != app.id:
                continue
            if installation.repository_selection == "all" or repo.id in (
                installation.repository_ids
            ):
                return installation
        return None

    def signature(self, user: User) -> Person:
        """A commit author/committer line for a user (GitHub's noreply address)."""
        return Person(user.login, f"{user.id}+{user.login}@users.noreply.github.com", self.now())

    def user(self, login: str) -> User:
        user = self.state.user(login)
        if user is None:
            raise KeyError(f"the fake GitHub has no user {login!r}; add_user() first")
        return user

    def checked(self, event: str, payload: dict[str, Any]) -> Event:
        """The event, after checking its payload against GitHub's webhook description."""
        errors = self.spec.webhook_errors(event, payload)
        if errors:
            self.violation(f"fake webhook {event}.{payload.get('action')}: {errors[:5]}")
        return event, payload

    def emit(self, event: Event) -> None:
        """An event the app's own request caused: GitHub would deliver it to the app."""
        self.outbox.append(self.checked(*event))
