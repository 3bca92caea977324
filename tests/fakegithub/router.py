"""The fake's routing vocabulary: a route table, the call a handler sees, its reply, errors.

A handler is a plain function `(Call) -> Reply`, registered under GitHub's own method and path
template (the one in `rest-api.json`), with the kind of authentication GitHub requires there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from tests.fakegithub.model import App, Installation, Repo, Token, User

if TYPE_CHECKING:
    from tests.fakegithub.base import FakeBase
    from tests.fakegithub.oauth import UserToken

# "token": an installation token, or a person's user-to-server token (oauth.py) acting as
# them; "user": a user-to-server token only (`/user...`).
Auth = Literal["jwt", "token", "user", "none"]
Handler = Callable[["Call"], "Reply"]
DOCS = "https://docs.github.com/rest"


class ApiError(Exception):
    """An error answer, shaped as GitHub shapes them."""

    def __init__(self, status: int, message: str, errors: list[Any] | None = None) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "documentation_url": DOCS}
        if self.errors is not None:
            body["errors"] = self.errors
        body["status"] = str(self.status)
        return body


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def invalid(resource: str, field_name: str, code: str = "invalid", **extra: Any) -> ApiError:
    """422 "Validation Failed" with one structured error, as GitHub answers bad fields."""
    error = {"resource": resource, "field": field_name, "code": code, **extra}
    return ApiError(422, "Validation Failed", [error])


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None  # a non-JSON body (diffs)


@dataclass(frozen=True)
class Route:
    handler: Handler
    auth: Auth


class Routes:
    """(method, path template) -> handler; one table per resource family."""

    def __init__(self) -> None:
        self.table: dict[tuple[str, str], Route] = {}

    def add(self, method: str, template: str, auth: Auth = "token") -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.table[(method.upper(), template)] = Route(handler, auth)
            return handler

        return register

    def get(self, template: str, auth: Auth = "token") -> Callable[[Handler], Handler]:
        return self.add("GET", template, auth)

    def post(self, template: str, auth: Auth = "token") -> Callable[[Handler], Handler]:
        return self.add("POST", template, auth)

    def patch(self, template: str, auth: Auth = "token") -> Callable[[Handler], Handler]:
        return self.add("PATCH", template, auth)

    def put(self, template: str, auth: Auth = "token") -> Callable[[Handler], Handler]:
        return self.add("PUT", template, auth)

    def delete(self, template: str, auth: Auth = "token") -> Callable[[Handler], Handler]:
        return self.add("DELETE", template, auth)


@dataclass
class Call:
    """One authenticated request, as a handler sees it."""

    fake: FakeBase
    method: str
    path: str  # as requested, percent-encoded, without the query
    template: str
    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    app: App | None = None  # set for JWT routes
    token: Token | None = None  # set for installation routes
    installation: Installation | None = None
    user_token: UserToken | None = None  # set for a person's user-to-server token

    @property
    def actor(self) -> User:
        """Who acts: the App's bot user for installation tokens, the person for theirs."""
        if self.user_token is not None:
            return self.user_token.user
        if self.installation is not None:
            return self.fake.state.apps[self.installation.app_id].bot
        raise ApiError(403, "Resource not accessible by integration")

    @property
    def acting_app(self) -> App:
        if self.installation is None:
            raise ApiError(403, "Resource not accessible by integration")
        return self.fake.state.apps[self.installation.app_id]

    def repo(self) -> Repo:
        """The repository named in the path, if this token may see it (else 404, as GitHub)."""
        repo = self.fake.state.repo(self.params["owner"], self.params["repo"])
        if repo is None or not self.may_see(repo):
            raise not_found()
        return repo

    def number(self, name: str) -> int:
        try:
            return int(self.params[name])
        except ValueError:
            raise not_found() from None

    def field(self, name: str, default: Any = None) -> Any:
        if isinstance(self.body, dict):
            return self.body.get(name, default)
        return default

    def may_see(self, repo: Repo) -> bool:
        if self.user_token is not None:
            return bool(self.fake.user_may_see(self.user_token, repo))  # type: ignore[attr-defined]
        installation = self.installation
        if installation is None:
            return False
        if installation.account.id != repo.owner.id:
            return False
        if installation.repository_selection == "selected" and (
            repo.id not in installation.repository_ids
        ):
            return False
        narrowed = self.token.repository_ids if self.token else None
        return narrowed is None or repo.id in narrowed


def paginate(call: Call, items: list[Any]) -> Reply:
    """One page of a list, with GitHub's `Link` header pointing at the next."""
    per_page = min(int(call.query.get("per_page", 30)), 100)
    page = max(int(call.query.get("page", 1)), 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    headers = {}
    if page * per_page < len(items):
        query = {**call.query, "per_page": str(per_page), "page": str(page + 1)}
        encoded = "&".join(f"{key}={value}" for key, value in query.items())
        headers["link"] = f'<{call.fake.urls.api}{call.path}?{encoded}>; rel="next"'
    return Reply(200, chunk, headers)


def counted(call: Call, key: str, items: list[Any]) -> Reply:
    """A page of a list GitHub wraps as `{"total_count": n, key: [...]}` (check runs, jobs...)."""
    page = paginate(call, items)
    page.body = {"total_count": len(items), key: page.body}
    return page
