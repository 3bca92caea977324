"""Security headers on every answer: a strict CSP with no inline script, no framing.

Added to a response only where it has not set the header itself. The policy allows the
app's own scripts, styles, images and connections (SSE included) and nothing else: no inline
script or style attribute, no `eval`, no plugin, no other site's frame around the pages.
`form-action 'self'`: a form may post only here (sign-in is a link to /login, not a form,
since some browsers apply form-action to the redirect to GitHub).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ]
)
HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


# Encoded once: this runs on every answer, webhooks included, where each microsecond counts.
ENCODED = tuple(
    (name.encode("latin-1"), value.encode("latin-1")) for name, value in HEADERS.items()
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", ()))
                present = {name.lower() for name, _ in raw}
                raw.extend(pair for pair in ENCODED if pair[0] not in present)
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)
