"""POST /webhooks: verify, store, enqueue, answer. No call to GitHub or a model, ever.

The request's one log line is the access log's (`bot.web.accesslog`): this endpoint adds the
delivery's id, event, action and outcome to it rather than writing a line of its own.
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.settings import Settings
from bot.web.accesslog import annotate
from bot.web.intake import DeliveryIntake, DeliveryNotStored
from bot.web.metrics import webhook_answered
from bot.web.payload import Refused, verified_event
from storage.deliveries import NewDelivery

# The two answers of nearly every request, rendered once.
_QUEUED = b'{"message":"queued"}'
_SEEN = b'{"message":"delivery already received"}'


class TooLarge(Exception):
    pass


def _answer(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refusing to buffer more than `limit` bytes whatever Content-Length says."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _not_stored(exc: DeliveryNotStored) -> JSONResponse:
    """500, so GitHub's log shows the delivery failed; the reason stays in ours."""
    if exc.recorded:
        return _answer(500, "the database refused this delivery; recorded as failed")
    return _answer(500, "the delivery could not be stored; redeliver it later")


async def receive(request: Request, settings: Settings, intake: DeliveryIntake) -> Response:
    """Answers one webhook request, and counts it with its latency for /metrics."""
    started = time.perf_counter()
    verified: dict[str, str] = {}  # the event, once its signature checked out
    response = await _receive(request, settings, intake, verified)
    webhook_answered(verified.get("event"), response.status_code, time.perf_counter() - started)
    return response


async def _receive(
    request: Request, settings: Settings, intake: DeliveryIntake, verified: dict[str, str]
) -> Response:
    try:
        body = await read_limited(request, settings.webhook_max_bytes)
    except TooLarge:
        return _answer(413, "payload over the 25 MB limit")
    try:
        event = verified_event(request.headers, body, settings.webhook_secret())
    except Refused as refused:
        return _answer(refused.status, refused.message)
    verified["event"] = event.event
    action = event.data.get("action")
    annotate(request, delivery_id=event.delivery_id, event=event.event, action=action)
    try:
        new = await intake.submit(
            NewDelivery(event.delivery_id, event.event, event.data, raw=event.raw)
        )
    except DeliveryNotStored as exc:
        annotate(request, outcome="not stored")
        return _not_stored(exc)
    annotate(request, outcome="queued" if new else "seen before")
    if not new:
        return Response(_SEEN, status_code=200, media_type="application/json")
    return Response(_QUEUED, status_code=202, media_type="application/json")
