"""Every dashboard view runs behind `signed_in`: a signed-out visitor gets the sign-in page,
a refusal of the access layer (`AccessError`) its own status and a short page, an operator
page a 403 for anyone whose login is not in DASHBOARD_ADMINS.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.web.access import AccessError, Forbidden, Viewer, viewer_of
from bot.web.dashboard.render import page, wants_json

View = Callable[[Request, Viewer], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]

TITLES = {401: "Sign-in needed", 403: "Not allowed", 404: "Not found"}
NOT_OPERATOR = "Only the logins in DASHBOARD_ADMINS see the operator pages."


def refused(request: Request, viewer: Viewer | None, error: AccessError) -> Response:
    if wants_json(request):
        return JSONResponse({"message": error.message}, status_code=error.status)
    context = {
        "status": error.status,
        "title": TITLES.get(error.status, "Refused"),
        "message": error.message,
    }
    return page(request, "error.html", context, viewer=viewer, status_code=error.status)


def sign_in_page(request: Request, *, status_code: int = 401) -> Response:
    """The sign-in link, coming back to this page once signed in."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return page(request, "signin.html", {"next": target}, viewer=None, status_code=status_code)


def signed_in(view: View) -> Endpoint:
    @wraps(view)
    async def endpoint(request: Request) -> Response:
        viewer = await viewer_of(request)
        if viewer is None:
            return sign_in_page(request)
        try:
            return await view(request, viewer)
        except AccessError as error:
            return refused(request, viewer, error)

    return endpoint


def operator(view: View) -> Endpoint:
    async def admin_only(request: Request, viewer: Viewer) -> Response:
        if not viewer.admin:
            raise Forbidden(NOT_OPERATOR)
        return await view(request, viewer)

    return signed_in(wraps(view)(admin_only))
