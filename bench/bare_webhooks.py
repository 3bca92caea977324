"""The bare endpoint `bench/webhooks.py` compares the app with: what any webhook receiver must
do, and nothing more.

It reads the body, checks `X-Hub-Signature-256` (HMAC-SHA256, constant-time compare) and
remembers delivery ids in memory (a redelivery answers 200, a new one 202); no JSON, no
database. It runs with the app's settings, log set-up, uvicorn configuration
(`bot.web.server.uvicorn_config`) and access log (`bot.web.accesslog`, one line a request,
with the delivery id and event), so both servers pay for the same server and log lines.

    PORT=8001 GITHUB_WEBHOOK_SECRET=… python bench/bare_webhooks.py
"""

from __future__ import annotations

import hashlib
import hmac
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from a clone

from bot.deps import secret_values
from bot.logs import configure_logging
from bot.settings import load_settings
from bot.web.accesslog import AccessLog, annotate
from bot.web.server import uvicorn_config


def bare_app(secret: str) -> Starlette:
    key = secret.encode()
    seen: set[str] = set()

    async def receive(request: Request) -> Response:
        body = await request.body()
        expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get("x-hub-signature-256", ""), expected):
            return Response(status_code=401)
        delivery = request.headers.get("x-github-delivery", "")
        annotate(request, delivery_id=delivery, event=request.headers.get("x-github-event"))
        if delivery in seen:
            annotate(request, outcome="seen before")
            return Response(status_code=200)
        seen.add(delivery)
        annotate(request, outcome="queued")
        return Response(status_code=202)

    routes = [Route("/webhooks", receive, methods=["POST"])]
    return Starlette(routes=routes, middleware=[Middleware(AccessLog)])


def main() -> None:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format, secret_values(settings))
    app = bare_app(settings.webhook_secret())
    uvicorn.Server(uvicorn_config(app, settings.host, settings.port)).run()


if __name__ == "__main__":
    main()
