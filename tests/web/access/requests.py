"""A Starlette request into the running app, for calling the access layer directly."""

from __future__ import annotations

from starlette.requests import Request

from tests.apphelpers import RunningApp


def request_for(
    app: RunningApp, *, method: str = "GET", headers: dict[str, str] | None = None
) -> Request:
    """A request carrying the test client's cookies (the signed-in session, if any)."""
    sent = dict(headers or {})
    cookies = "; ".join(f"{c.name}={c.value}" for c in app.client.cookies.jar)
    if cookies:
        sent["cookie"] = cookies
    scope = {
        "type": "http",
        "app": app.app,
        "method": method,
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "scheme": "http",
        "server": ("testserver", 80),
        "headers": [(k.lower().encode(), v.encode()) for k, v in sent.items()],
        "state": {},
    }
    return Request(scope)
