"""The REST API, `/api/v1`: projects, actions, cache, docs and costs, for GitHub users.

Authentication is a GitHub user token (`Authorization: Bearer …`); what it sees and may do
follows the dashboard's rules (`bot.web.access`). Errors share one JSON shape (`Error`),
lists are paginated with `Link` headers, and `/api/v1/openapi.json` describes it all.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import Receive, Scope, Send

from bot.web.api.endpoints import ENDPOINTS
from bot.web.api.models import Error
from bot.web.api.openapi import cached_openapi
from bot.web.api.routing import error_response, routes_of

PREFIX = "/api/v1"

__all__ = ["PREFIX", "api_routes"]


async def openapi_json(request: Request) -> Response:
    server = str(request.base_url).rstrip("/") + PREFIX
    return JSONResponse(cached_openapi(server))


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    error = Error(status=404, code="not_found", message="no such endpoint")
    await error_response(error)(scope, receive, send)


def api_routes() -> list[BaseRoute]:
    """One mount for the whole API (unknown paths answer 404 in the error shape)."""
    schema = Route("/openapi.json", openapi_json, methods=["GET"])
    router = Router(routes_of(ENDPOINTS, [schema]), default=_not_found)
    return [Mount(PREFIX, app=router)]
