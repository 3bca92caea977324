"""Refusals on the dashboard's pages, as short HTML pages."""

from __future__ import annotations

import html
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.web.access.errors import AccessError, Unauthorized
from bot.web.access.paths import LOGIN_PATH

PAGE = "<!doctype html><title>AI Orchestrator</title><h1>{title}</h1><p>{text}</p>"
TITLES = {403: "Forbidden", 404: "Not found", 503: "Unavailable"}


async def access_error_page(request: Request, exc: Exception) -> Response:
    """The app's handler for `AccessError` raised by a page (a GET that needs signing in
    goes to /login and comes back)."""
    assert isinstance(exc, AccessError)
    if isinstance(exc, Unauthorized) and request.method == "GET":
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"{LOGIN_PATH}?next={target}", status_code=303)
    title = TITLES.get(exc.status, "Refused")
    body = PAGE.format(title=title, text=html.escape(exc.message))
    return HTMLResponse(body, status_code=exc.status, headers={"cache-control": "no-store"})
