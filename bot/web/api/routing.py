"""The API's plumbing: endpoints described once (for routing and for the OpenAPI document),
bearer authentication, query and body validation, one error shape, `Link` pagination.

Every request is authenticated before anything else (a bad token is 401 wherever it goes);
refusals of the access layer keep their status (403, 404, 503); a malformed query or body is
422 naming the fields; anything unexpected is logged and answered 500 in the same shape.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.web.access import AccessError, Viewer, api_viewer
from bot.web.api.models import MAX_ID, Error, FieldError

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
# Each path takes them all, so that a wrong one answers 405 in the error shape.
EVERY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass(frozen=True)
class Call:
    """What a handler gets: the request, who asks, the path's id and the validated inputs."""

    request: Request
    viewer: Viewer
    params: dict[str, int]
    query: Any  # an instance of the endpoint's `query` model
    body: Any  # an instance of the endpoint's `body` model

    def param(self, name: str) -> int:
        return self.params[name]


Handler = Callable[[Call], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # relative to /api/v1; `{project_id}` is the only path parameter
    handler: Handler
    summary: str
    answer: type[BaseModel] | None  # the 2xx answer's model (a list of it when `listed`)
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    listed: bool = False  # a JSON array, paginated with `Link`
    writes: bool = False  # needs write permission: 403 for readers
    statuses: tuple[int, ...] = ()  # other documented error statuses
    media: dict[str, dict[str, Any]] = field(default_factory=dict)  # other answer types


class Problem(Exception):
    """An error answer the API gives itself (422, 409...)."""

    def __init__(
        self, status: int, code: str, message: str, errors: Sequence[FieldError] = ()
    ) -> None:
        super().__init__(message)
        self.error = Error(status=status, code=code, message=message, errors=list(errors))


def error_response(error: Error, headers: dict[str, str] | None = None) -> JSONResponse:
    extra = dict(headers or {})
    if error.status == 401:
        extra["www-authenticate"] = 'Bearer realm="ai-orchestrator"'
    return JSONResponse(error.model_dump(mode="json"), error.status, headers=extra)


def invalid(exc: ValidationError, where: str) -> Problem:
    errors = [
        FieldError(field=".".join(str(p) for p in (where, *e["loc"])), message=e["msg"])
        for e in exc.errors()[:20]
    ]
    return Problem(422, "invalid", f"the {where} is not valid", errors)


def answer(model: BaseModel, status: int = 200) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json"), status)


def page_links(request: Request, page: int, per_page: int, total: int) -> str:
    """GitHub's `Link` header: first, prev, next and last pages of this list."""
    last = max(1, -(-total // per_page))
    rels = {"first": 1, "prev": page - 1, "next": page + 1, "last": last}
    links = []
    for rel, number in rels.items():
        if (rel == "prev" and page <= 1) or (rel == "next" and page >= last):
            continue
        kept = {k: v for k, v in request.query_params.items() if k not in ("page", "per_page")}
        query = {**kept, "page": str(number), "per_page": str(per_page)}
        links.append(f'<{request.url.replace(query=urlencode(query))}>; rel="{rel}"')
    return ", ".join(links)


def listing(
    request: Request, items: Sequence[BaseModel], *, page: int, per_page: int, total: int
) -> JSONResponse:
    headers = {"x-total-count": str(total)}
    if links := page_links(request, page, per_page, total):
        headers["link"] = links
    return JSONResponse([item.model_dump(mode="json") for item in items], headers=headers)


def _decimal(text: str) -> bool:
    """ASCII digits only: `str.isdigit` also allows "¹" and other digits `int` refuses."""
    return text.isascii() and text.isdigit()


def _params(request: Request) -> dict[str, int]:
    params = {}
    for name, raw in request.path_params.items():
        if not _decimal(str(raw)) or len(str(raw)) > 10 or not 1 <= int(raw) <= MAX_ID:
            raise Problem(404, "not_found", "no such project")
        params[name] = int(raw)
    return params


def _query(endpoint: Endpoint, request: Request) -> Any:
    if endpoint.query is None:
        return None
    fields = set(endpoint.query.model_fields)
    values = {k: v for k, v in request.query_params.items() if k in fields}
    try:
        return endpoint.query.model_validate(values)
    except ValidationError as exc:
        raise invalid(exc, "query") from None


async def _body(endpoint: Endpoint, request: Request) -> Any:
    if endpoint.body is None:
        return None
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise Problem(413, "too_large", f"the body is over {MAX_BODY} bytes")
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise Problem(400, "bad_json", "the body is not JSON") from None
    try:
        return endpoint.body.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc, "body") from None


async def _run(endpoint: Endpoint, request: Request) -> Response:
    viewer = await api_viewer(request)
    params = _params(request)
    call = Call(request, viewer, params, _query(endpoint, request), await _body(endpoint, request))
    return await endpoint.handler(call)


def _dispatch(endpoints: dict[str, Endpoint]) -> Callable[[Request], Awaitable[Response]]:
    allow = ", ".join(sorted(endpoints))

    async def dispatch(request: Request) -> Response:
        endpoint = endpoints.get(request.method)
        if endpoint is None:
            error = Error(status=405, code="method_not_allowed", message=f"allowed: {allow}")
            return error_response(error, {"allow": allow})
        try:
            response = await _run(endpoint, request)
        except AccessError as exc:
            return error_response(Error(status=exc.status, code=exc.code, message=exc.message))
        except Problem as exc:
            return error_response(exc.error)
        except Exception:
            log.exception("API %s %s failed", request.method, endpoint.path)
            error = Error(status=500, code="internal", message="something went wrong here")
            return error_response(error)
        response.headers["cache-control"] = "no-store"  # answers differ per person
        return response

    return dispatch


def routes_of(endpoints: Sequence[Endpoint], extra: Sequence[BaseRoute] = ()) -> list[BaseRoute]:
    """One route per path, taking every method (a wrong one answers 405 in the error shape)."""
    by_path: dict[str, dict[str, Endpoint]] = {}
    for endpoint in endpoints:
        by_path.setdefault(endpoint.path, {})[endpoint.method] = endpoint
    routes: list[BaseRoute] = list(extra)
    for path, methods in by_path.items():
        routes.append(Route(path, _dispatch(methods), methods=EVERY_METHOD))
    return routes
