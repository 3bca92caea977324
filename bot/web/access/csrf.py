"""CSRF tokens for the dashboard's forms: every POST carries one, or is refused with 403.

The token is an HMAC of the session's key (synchronizer token without server state): it
changes with every sign-in and is worth nothing to another session. A signed-out browser has
no session, so no token, and every POST of the dashboard needs one. A cross-site `Origin` or
`Sec-Fetch-Site` is refused as well, before the token is even read.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import FormData
from starlette.requests import Request

from bot.web.access.crypto import digest
from bot.web.access.errors import Forbidden, Unavailable
from bot.web.access.session import session_id
from bot.web.access.state import access_state

CSRF_FIELD = "csrf_token"  # the hidden form field
CSRF_HEADER = "x-csrf-token"  # or this header, for fetches from the app's own scripts
REFUSED = "this form has expired or did not come from this site: reload the page and try again"


def _binding(request: Request) -> str | None:
    try:
        state = access_state(request)
    except Unavailable:
        return None
    sid = session_id(request, state)
    return None if sid is None else digest(sid)


def csrf_token(request: Request) -> str:
    """The token for forms of this request's session ("" when signed out: no form of the
    dashboard can be sent without signing in)."""
    binding = _binding(request)
    if binding is None:
        return ""
    return access_state(request).keys.csrf(binding)


def _cross_site(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        own = f"{request.url.scheme}://{request.url.netloc}"
        public = access_state(request).settings.public_url
        if origin.rstrip("/") not in {own, public}:
            return True
    return request.headers.get("sec-fetch-site") == "cross-site"


async def check_csrf(request: Request, form: Mapping[str, object] | None = None) -> None:
    """Raises `Forbidden` unless the form field (or header) holds this session's token."""
    binding = _binding(request)
    if binding is None or _cross_site(request):
        raise Forbidden(REFUSED)
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        fields: Mapping[str, object] = form if form is not None else await _form(request)
        value = fields.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not given or not access_state(request).keys.csrf_ok(binding, given):
        raise Forbidden(REFUSED)


async def _form(request: Request) -> FormData:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return FormData()
    return await request.form()
