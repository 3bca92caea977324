"""The access log: one line per HTTP request, written by the app instead of uvicorn.

uvicorn's access log wrote one line per request and the webhook endpoint a second
("webhook issue_comment.created queued"); each line costs tens of microseconds of formatting
and scrubbing, a real share of a delivery's CPU. So uvicorn's is off (`bot.web.server`) and
this middleware writes one line with what both said: method, path, status, duration, client,
and what a route adds with `annotate` (the webhook endpoint: delivery id, event, action,
outcome).

The path is logged without its query string: setup mode's callback carries GitHub's one-time
manifest code there. No header and no body is logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import MutableMapping
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("bot.web.access")

_FIELDS = "ai_orchestrator.access_fields"  # the scope key `annotate` writes to


def annotate(request: Request, **fields: object) -> None:
    """Adds `fields` to the request's access-log line (nothing without the middleware)."""
    found = request.scope.get(_FIELDS)
    if found is not None:
        found.update(fields)


class AccessLog:
    """ASGI middleware: logs each HTTP request once, after its answer is sent (INFO)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what uvicorn answers when the app fails before it starts a response
        fields: dict[str, Any] = {}
        scope[_FIELDS] = fields

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            _log(scope, status, time.perf_counter() - started, fields)


def _log(
    scope: MutableMapping[str, Any], status: int, seconds: float, fields: dict[str, Any]
) -> None:
    client = scope.get("client")
    duration_ms = round(seconds * 1000, 2)
    log.info(
        "%s %s %d %.2f ms",
        scope["method"],
        scope["path"],
        status,
        duration_ms,
        extra={
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": duration_ms,
            "client": f"{client[0]}:{client[1]}" if client else None,
            **fields,
        },
    )
