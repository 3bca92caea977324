"""The fake's HTTP side: every request recorded, checked against GitHub's description, routed.

Order of a request: record it; find its operation in `rest-api.json` (an unknown route is a
violation); check the API version header, the query and the JSON body (violations); find the
fake's handler (missing: a violation naming what to add); authenticate (401 as GitHub);
answer an injected failure, or a seeded random one (`faults.py`), or run the handler; answer
304 to a matching `If-None-Match`; check the fake's own 2xx answer against the description.
An injection may apply the write first and lose its answer (`applied`), or stand for the
worker's death (`Killed`), before or after the write is applied. Violations are raised inside
the transport and kept in `violations`, which the fixture asserts empty at teardown.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx2
import jwt

from tests.fakegithub.base import FakeBase, FakeGitHubViolation
from tests.fakegithub.faults import Faults
from tests.fakegithub.model import App
from tests.fakegithub.openapi import Operation
from tests.fakegithub.router import ApiError, Call, Reply, Route

API_VERSIONS = frozenset({"2022-11-28", "2026-03-10"})
RATE_LIMIT = 5000
JWT_MAX_LIFETIME = 600  # GitHub refuses App JWTs that live longer than ten minutes


@dataclass
class RecordedRequest:
    method: str
    path: str  # percent-encoded, as sent
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    template: str | None = None
    status: int | None = None


SideHost = Callable[[RecordedRequest], httpx2.Response]


class Killed(BaseException):
    """The worker died at this request (kill -9). A BaseException, so that no `except
    Exception` of the app handles it: nothing after it runs, and the job keeps its lease
    until the lease expires."""


@dataclass
class Injection:
    method: str
    template: str
    reply: Reply | None  # None: the worker is killed (`Killed`) instead of answered
    times: int
    applied: bool = False  # the request's write is applied first, then its answer is lost
    where: Callable[[Call], bool] | None = None  # only requests it holds for


@dataclass
class Transport:
    """Dispatch for a FakeGitHub; lives on `fake.transport_logic`."""

    fake: FakeBase
    routes: dict[tuple[str, str], Route]
    validate_responses: bool = True
    requests: list[RecordedRequest] = field(default_factory=list)
    injections: list[Injection] = field(default_factory=list)
    faults: list[Faults] = field(default_factory=list)  # seeded random errors (faults.py)
    used: dict[str, int] = field(default_factory=dict)  # requests per credential
    # Hosts beside the API that GitHub sends clients to (log downloads), and what they got.
    side_hosts: dict[str, SideHost] = field(default_factory=dict)
    side_requests: list[RecordedRequest] = field(default_factory=list)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        raw_path, _, query_string = request.url.raw_path.decode().partition("?")
        query = dict(parse_qsl(query_string, keep_blank_values=True))
        headers = {key.lower(): value for key, value in request.headers.items()}
        content = request.read()
        body, body_error = _parse_body(content)
        record = RecordedRequest(request.method, raw_path, query, headers, body)
        side = self.side_hosts.get(request.url.host)
        if side is not None:
            self.side_requests.append(record)
            response = side(record)
            record.status = response.status_code
            return response
        self.requests.append(record)
        try:
            return self._handle(request, record, content, body, body_error)
        finally:
            self.fake.flush()  # what GitHub does after the request (CI) comes after its events

    def _handle(
        self,
        request: httpx2.Request,
        record: RecordedRequest,
        content: bytes,
        body: Any,
        body_error: str | None,
    ) -> httpx2.Response:
        raw_path, query, headers = record.path, record.query, record.headers
        if request.url.host != httpx2.URL(self.fake.urls.api).host:
            self.fake.violation(f"request to {request.url.host}, not the fake GitHub")
        operation, params = self._operation(request.method, raw_path)
        record.template = operation.template
        problems = self._problems(operation, headers, content, body, body_error, query)
        if problems:
            self.fake.violation(f"{request.method} {operation.template}: {'; '.join(problems)}")
        route = self.routes.get((operation.method, operation.template))
        if route is None:
            self.fake.violation(
                f"{operation.method} {operation.template} ({operation.operation_id}) exists "
                "on GitHub but the fake does not answer it: add a handler in tests/fakegithub"
            )
        call = Call(
            self.fake, operation.method, raw_path, operation.template, params, query, headers, body
        )
        reply = self._reply(route, call)
        reply = _conditional(request.method, headers, reply)
        if self.validate_responses and 200 <= reply.status < 300 and reply.body is not None:
            errors = self.fake.spec.response_errors(operation, reply.status, reply.body)
            if errors:
                self.fake.violation(
                    f"fake answer to {operation.method} {operation.template} does not match "
                    f"GitHub's description: {errors[:5]}"
                )
        record.status = reply.status
        return self._response(reply, headers.get("authorization", ""))

    def _operation(self, method: str, raw_path: str) -> tuple[Operation, dict[str, str]]:
        found = self.fake.spec.match(method, raw_path)
        if found is None:
            known = self.fake.spec.path_known(raw_path)
            why = "method not allowed on" if known else "no such route in GitHub's REST API:"
            self.fake.violation(f"{why} {method} {raw_path}")
        return found

    def _problems(
        self,
        operation: Operation,
        headers: dict[str, str],
        content: bytes,
        body: Any,
        body_error: str | None,
        query: dict[str, str],
    ) -> list[str]:
        problems = self.fake.spec.query_errors(operation, list(query.items()))
        if "x-github-api-version" not in headers:
            problems.append("no X-GitHub-Api-Version header")
        if body_error is not None:
            problems.append(body_error)
        elif content:
            if "json" not in headers.get("content-type", ""):
                problems.append(f"body sent as {headers.get('content-type')!r}, not JSON")
            problems += self.fake.spec.body_errors(operation, body)
        elif operation.body_required:
            problems.append("GitHub requires a JSON body here")
        return problems

    def _reply(self, route: Route, call: Call) -> Reply:
        try:
            self._authenticate(route, call)
            version = call.headers.get("x-github-api-version")
            if version not in API_VERSIONS:
                raise ApiError(400, f"API version {version} is not supported.")
            injection = self._injected(call)
            if injection is not None:
                return self._inject(injection, route, call)
            for faults in self.faults:
                fault = faults.draw(call)
                if fault is not None:
                    if faults.applied:
                        route.handler(call)  # GitHub did it; the client never hears so
                    return fault
            return route.handler(call)
        except ApiError as error:
            return Reply(error.status, error.body())
        except FakeGitHubViolation:
            raise
        except Exception as exc:  # a bug in the fake: say so rather than leak a KeyError
            self.fake.violation(
                f"the fake GitHub crashed on {call.method} {call.template}: {exc!r}"
            )

    def _injected(self, call: Call) -> Injection | None:
        for injection in self.injections:
            if (injection.method, injection.template) != (call.method, call.template):
                continue
            if injection.where is not None and not injection.where(call):
                continue
            injection.times -= 1
            if injection.times <= 0:
                self.injections.remove(injection)
            return injection
        return None

    @staticmethod
    def _inject(injection: Injection, route: Route, call: Call) -> Reply:
        if injection.applied:
            route.handler(call)  # GitHub did it; the client never hears so
        if injection.reply is None:
            raise Killed(f"killed at {call.method} {call.path}")
        return injection.reply

    def _authenticate(self, route: Route, call: Call) -> None:
        scheme, _, credential = call.headers.get("authorization", "").partition(" ")
        if route.auth == "none":
            return
        if route.auth == "jwt":
            if scheme.lower() != "bearer":
                raise ApiError(401, "A JSON web token could not be decoded")
            call.app = self._verify_jwt(credential)
            return
        if scheme.lower() in {"token", "bearer"} and self._as_user(route, call, credential):
            return
        token = self.fake.state.tokens.get(credential)
        if scheme.lower() not in {"token", "bearer"} or token is None:
            raise ApiError(401, "Bad credentials")
        if token.expires_at <= self.fake.now():
            raise ApiError(401, "Bad credentials")
        installation = self.fake.state.installations.get(token.installation_id)
        if installation is None or installation.suspended_at is not None:
            raise ApiError(403, "This installation has been suspended")
        call.token, call.installation = token, installation

    def _as_user(self, route: Route, call: Call, credential: str) -> bool:
        """A person's user-to-server token (oauth.py): True when it authenticated the call."""
        user_token = self.fake.user_for_token(credential)  # type: ignore[attr-defined]
        if user_token is None and route.auth == "user":
            raise ApiError(401, "Bad credentials")
        call.user_token = user_token
        return user_token is not None

    def _verify_jwt(self, credential: str) -> App:
        undecodable = ApiError(401, "A JSON web token could not be decoded")
        try:
            claimed = jwt.decode(credential, options={"verify_signature": False})
            app = self.fake.state.apps[int(claimed["iss"])]
            claims = jwt.decode(
                credential,
                app.keys.public_pem,
                algorithms=["RS256"],
                options={
                    "require": ["iat", "exp", "iss"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except (jwt.PyJWTError, KeyError, ValueError, TypeError):
            raise undecodable from None
        now = time.time()  # gidgethub mints JWTs from the wall clock, whatever the fake's clock
        if claims["exp"] <= now:
            raise ApiError(401, "'Expiration time' claim ('exp') must be in the future")
        if claims["exp"] - claims["iat"] > JWT_MAX_LIFETIME or claims["iat"] > now + 60:
            raise ApiError(401, "'Expiration time' claim ('exp') is too far in the future")
        return app

    def _response(self, reply: Reply, credential: str) -> httpx2.Response:
        self.used[credential] = self.used.get(credential, 0) + (reply.status != 304)
        reset = int(self.fake.clock()) // 3600 * 3600 + 3600
        headers = {
            "x-ratelimit-limit": str(RATE_LIMIT),
            "x-ratelimit-remaining": str(max(RATE_LIMIT - self.used[credential], 0)),
            "x-ratelimit-used": str(self.used[credential]),
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-resource": "core",
            "x-github-request-id": f"FAKE:{len(self.requests)}",
            **reply.headers,
        }
        if reply.text is not None:
            headers["content-type"] = "text/plain; charset=utf-8"
            return httpx2.Response(reply.status, headers=headers, text=reply.text)
        if reply.body is None:
            return httpx2.Response(reply.status, headers=headers)
        headers["content-type"] = "application/json; charset=utf-8"
        return httpx2.Response(reply.status, headers=headers, content=_dump(reply.body))


def _parse_body(content: bytes) -> tuple[Any, str | None]:
    if not content:
        return None, None
    try:
        return json.loads(content), None
    except ValueError as exc:
        return None, f"body is not JSON: {exc}"


def _dump(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def _conditional(method: str, headers: dict[str, str], reply: Reply) -> Reply:
    """GitHub's ETags on GET: a matching If-None-Match answers 304 with no body."""
    if method != "GET" or reply.status != 200 or reply.body is None:
        return reply
    etag = f'W/"{hashlib.sha256(_dump(reply.body)).hexdigest()}"'
    if headers.get("if-none-match") == etag:
        return Reply(304, None, {"etag": etag})
    return Reply(reply.status, reply.body, {**reply.headers, "etag": etag})
