"""Pages from templates: one Jinja2 environment (autoescaped), the context every page shares
(viewer, CSRF token, GitHub web address, navigation), and JSON from the same view.

As in datasette, a view builds one context and answers HTML, or JSON with `?format=json`
(the context's `data` entry, which views fill with plain values).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.templating import Jinja2Templates

from bot.settings import Settings
from bot.web.access import CSRF_FIELD, Viewer, csrf_token
from storage.db import SessionMaker
from storage.money import format_usd

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
STATIC_DIR = HERE / "static"
STATIC_PATH = "/static"


class DashboardRuntime(Protocol):
    """What the dashboard reads of the app's runtime (`bot.web.app.Runtime`)."""

    settings: Settings
    sessions: SessionMaker


def runtime_of(request: Request) -> DashboardRuntime:
    runtime: DashboardRuntime = request.app.state.runtime
    return runtime


def when(moment: datetime | None) -> str:
    """`2025-07-02 10:30 UTC`; an empty string for no time."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def label(value: object) -> str:
    """An enum value or identifier for people: `waiting_ci` → `waiting ci`."""
    text = getattr(value, "value", value)
    return str(text).replace("_", " ")


TEMPLATES.env.filters.update(usd=format_usd, when=when, percent=percent, label=label)


def wants_json(request: Request) -> bool:
    return request.query_params.get("format") == "json"


def shared(request: Request, viewer: Viewer | None) -> dict[str, Any]:
    """The entries every page and fragment uses."""
    return {
        "request": request,
        "viewer": viewer,
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request) if viewer is not None else "",
        "github": runtime_of(request).settings.github_web_url.rstrip("/"),
        "static": STATIC_PATH,
        "path": request.url.path,
    }


def page(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    viewer: Viewer | None,
    status_code: int = 200,
) -> Response:
    """`template` rendered with `context` and the shared entries, or its `data` as JSON."""
    if wants_json(request) and "data" in context:
        return JSONResponse(context["data"], status_code=status_code)
    values = {**shared(request, viewer), **context}
    return TEMPLATES.TemplateResponse(request, template, values, status_code=status_code)


def fragment(
    request: Request, template: str, context: Mapping[str, Any], *, viewer: Viewer | None
) -> str:
    """A template rendered to a string: a live region's new content."""
    values = {**shared(request, viewer), **context}
    return TEMPLATES.get_template(template).render(values)
