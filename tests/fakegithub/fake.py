"""`FakeGitHub`: the whole fake, behind an `httpx2.MockTransport`."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Collection
from typing import Any

import httpx2

from tests.fakegithub import (
    routes_actions,
    routes_app,
    routes_checks,
    routes_git,
    routes_issues,
    routes_pulls,
    routes_reactions,
    routes_repos,
    routes_reviews,
    routes_suites,
    routes_user,
)
from tests.fakegithub.ci import CIMixin
from tests.fakegithub.faults import EVERY_METHOD, SERVER_ERRORS, Faults
from tests.fakegithub.installs import InstallsMixin
from tests.fakegithub.keys import KeyPair, session_key
from tests.fakegithub.oauth import OAuthMixin
from tests.fakegithub.openapi import OpenAPISpec
from tests.fakegithub.people import PeopleMixin
from tests.fakegithub.router import Auth, Call, Handler, Reply, Route
from tests.fakegithub.transport import Injection, RecordedRequest, Transport

API_URL = "https://api.github.test"
WEB_URL = "https://github.test"
ROUTE_TABLES = (
    routes_app.routes,
    routes_repos.routes,
    routes_issues.routes,
    routes_reactions.routes,
    routes_git.routes,
    routes_pulls.routes,
    routes_reviews.routes,
    routes_checks.routes,
    routes_suites.routes,
    routes_actions.routes,
    routes_user.routes,
)


class FakeGitHub(PeopleMixin, InstallsMixin, CIMixin, OAuthMixin):
    """A stateful GitHub: REST answers, webhooks out, every request recorded and checked."""

    def __init__(
        self,
        spec: OpenAPISpec,
        *,
        api_url: str = API_URL,
        web_url: str = WEB_URL,
        clock: Callable[[], float] = time.time,
        validate_responses: bool = True,
    ) -> None:
        super().__init__(spec, api_url=api_url, web_url=web_url, clock=clock)
        routes: dict[tuple[str, str], Route] = {}
        for table in ROUTE_TABLES:
            routes.update(table.table)
        self._dispatch = Transport(self, routes, validate_responses)
        self._dispatch.side_hosts[routes_actions.LOGS_HOST] = functools.partial(
            routes_actions.serve_log, self
        )
        self._dispatch.side_hosts[httpx2.URL(self.urls.web).host] = self.serve_web  # sign-in
        self.transport = httpx2.MockTransport(self._dispatch.handle)

    # ---- HTTP ----------------------------------------------------------------------------

    def client(self, **options: Any) -> httpx2.AsyncClient:
        """An httpx2 client whose every request goes to this fake (close it when done)."""
        return httpx2.AsyncClient(transport=self.transport, base_url=self.api_url, **options)

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._dispatch.requests

    @property
    def downloads(self) -> list[RecordedRequest]:
        """Requests to the hosts GitHub redirects to (job logs), which are not API calls."""
        return self._dispatch.side_requests

    def calls(self, method: str, template: str) -> int:
        """How many requests matched GitHub's path template, e.g. ("POST", "/repos/{owner}/...")."""
        return len(self.requests_to(method, template))

    def requests_to(self, method: str, template: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method.upper() and r.template == template]

    def route(
        self, method: str, template: str, auth: Auth = "token"
    ) -> Callable[[Handler], Handler]:
        """Adds (or replaces) a handler, for a test needing an endpoint the fake lacks."""
        self.spec.operation(method, template)  # only GitHub's own routes

        def register(handler: Handler) -> Handler:
            self._dispatch.routes[(method.upper(), template)] = Route(handler, auth)
            return handler

        return register

    def inject(
        self,
        method: str,
        template: str,
        status: int,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        applied: bool = False,
        where: Callable[[Call], bool] | None = None,
    ) -> None:
        """The next `times` requests to that route (those `where` holds for) answer this
        instead (rate limits, 5xx...); with `applied`, GitHub did the write all the same and
        only its answer is lost."""
        self.spec.operation(method, template)
        reply = Reply(status, json, dict(headers or {}))
        injection = Injection(method.upper(), template, reply, times, applied, where)
        self._dispatch.injections.append(injection)

    def faults(
        self,
        *,
        rate: float,
        replies: tuple[Reply, ...] = SERVER_ERRORS,
        methods: Collection[str] = EVERY_METHOD,
        applied: bool = False,
        seed: int = 0,
        where: Callable[[Call], bool] | None = None,
    ) -> Faults:
        """From now on, each request of `methods` (that `where` holds for) answers one of
        `replies` with probability `rate`, drawn from a generator seeded with `seed`; with
        `applied`, the write is done first and only its answer is lost (`faults.py`)."""
        methods = frozenset(method.upper() for method in methods)
        faults = Faults(rate, tuple(replies), methods, applied, random.Random(seed), where)
        self._dispatch.faults.append(faults)
        return faults

    def kill_at(
        self,
        method: str,
        template: str,
        *,
        applied: bool = True,
        where: Callable[[Call], bool] | None = None,
    ) -> None:
        """The worker dies (`Killed` is raised in it) at the next request to that route (that
        `where` holds for): after GitHub applied it, or with `applied=False` just before."""
        self.spec.operation(method, template)
        injection = Injection(method.upper(), template, None, 1, applied, where)
        self._dispatch.injections.append(injection)


def since(fake: FakeGitHub, mark: int) -> list[tuple[str, str | None]]:
    """(method, template) of every request after `mark` (a length of `fake.requests`)."""
    return [(r.method, r.template) for r in fake.requests[mark:]]


def standard_world(
    fake: FakeGitHub, app_key: KeyPair | None = None, *, ci: bool = False
) -> FakeGitHub:
    """One App installed on octo-org, whose repo hello-world has a README on `main`.

    People: octocat (admin), maintainer (maintain), writer (write), triager (triage),
    reader (read), and outsider (no role: reads the public repository). With `ci`, the
    repository has GitHub Actions CI that passes at once (`fake.enable_ci()`, which commits
    `.github/workflows/ci.yml` to `main`).
    """
    fake.add_user("octo-org", type="Organization")
    fake.add_user("octocat")
    app = fake.add_app("AI Orchestrator", owner="octo-org", keys=app_key or session_key("app"))
    repo = fake.add_repo("octo-org/hello-world", files={"README.md": "# Hello, world\n"})
    installation = fake.install(app, "octo-org")
    for login, role in [
        ("octocat", "admin"),
        ("maintainer", "maintain"),
        ("writer", "write"),
        ("triager", "triage"),
        ("reader", "read"),
    ]:
        fake.add_collaborator(repo, login, role)
    fake.add_user("outsider")
    fake.set_primary(app, installation, repo)
    if ci:
        fake.enable_ci(repo)
    return fake
