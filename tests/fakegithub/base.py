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


def _webhook_errors(spec: OpenAPISpec, event: str, payload: dict[str, Any]) -> list[str]:
    """`spec.webhook_errors`, also for actions spelt with an underscore (`in_progress`), whose
    webhooks the description names with a hyphen (`workflow-run-in-progress`).
    TODO: once `OpenAPISpec.webhook_errors` hyphenates the action itself, call it directly."""
    action = payload.get("action")
    if not isinstance(action, str) or "_" not in action:
        return spec.webhook_errors(event, payload)
    name = f"{event}-{action}".replace("_", "-")
    if name not in spec.document["x-webhooks"]:
        return spec.webhook_errors(event, payload)
    pointer = f"/x-webhooks/{name}/post/requestBody/content/application~1json/schema"
    return spec._errors(pointer, payload, write=False)


class FakeGitHubViolation(AssertionError):
    """The app sent GitHub something GitHub does not accept (or the fake broke its own rules)."""


class FakeBase:
    _primary: tuple[App, Installation, Repo] | None = None  # the App under test (world.py)

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
        self._outbox: list[Event] = []
        self._deferred: list[Event] = []
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
        errors = _webhook_errors(self.spec, event, payload)
        if errors:
            self.violation(f"fake webhook {event}.{payload.get('action')}: {errors[:5]}")
        return event, payload

    def emit(self, event: Event) -> None:
        """An event the app's own request caused: GitHub would deliver it to the app."""
        self._outbox.append(self.checked(*event))

    def defer(self, event: Event) -> None:
        """An event GitHub sends once the current request is over (what it does by itself after
        a push: check suites, CI): checked now, queued in `outbox` after the request's own."""
        self._deferred.append(self.checked(*event))

    def flush(self) -> None:
        """Deferred events join `outbox` (after each request, and whenever a test reads it)."""
        self._outbox.extend(self._deferred)
        self._deferred.clear()

    @property
    def outbox(self) -> list[Event]:
        """Webhooks GitHub would deliver to the app, in order: caused by its own requests, and
        by GitHub itself (check suites and CI after any push). Tests clear it as they deliver."""
        self.flush()
        return self._outbox

    @outbox.setter
    def outbox(self, events: list[Event]) -> None:
        self._deferred.clear()
        self._outbox = events
