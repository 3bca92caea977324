"""POST /webhooks: verify, store, enqueue, answer. No call to GitHub or a model, ever."""

from __future__ import annotations

import logging

from gidgethub import BadRequest, ValidationFailure, sansio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.settings import Settings
from bot.web.intake import DeliveryIntake, DeliveryNotStored
from storage.deliveries import NewDelivery

log = logging.getLogger(__name__)

MAX_DELIVERY_ID = 64


class TooLarge(Exception):
    pass


def _answer(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refusing to buffer more than `limit` bytes whatever Content-Length says."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def parse_event(request: Request, body: bytes, secret: str) -> sansio.Event | JSONResponse:
    """The verified event, or the error response to send."""
    try:
        event = sansio.Event.from_http(request.headers, body, secret=secret)
    except ValidationFailure:
        return _answer(401, "signature missing or invalid")
    except BadRequest:
        return _answer(400, "body is not a JSON webhook payload")
    except KeyError as exc:
        return _answer(400, f"missing header {exc.args[0]}")
    if not isinstance(event.data, dict):
        return _answer(400, "payload is not a JSON object")
    if not event.delivery_id or len(event.delivery_id) > MAX_DELIVERY_ID:
        return _answer(400, "invalid X-GitHub-Delivery")
    return event


def _not_stored(exc: DeliveryNotStored) -> JSONResponse:
    """500, so GitHub's log shows the delivery failed; the reason stays in ours."""
    if exc.recorded:
        return _answer(500, "the database refused this delivery; recorded as failed")
    return _answer(500, "the delivery could not be stored; redeliver it later")


async def receive(request: Request, settings: Settings, intake: DeliveryIntake) -> Response:
    try:
        body = await read_limited(request, settings.webhook_max_bytes)
    except TooLarge:
        return _answer(413, "payload over the 25 MB limit")
    parsed = parse_event(request, body, settings.webhook_secret())
    if isinstance(parsed, JSONResponse):
        return parsed
    try:
        new = await intake.submit(NewDelivery(parsed.delivery_id, parsed.event, parsed.data))
    except DeliveryNotStored as exc:
        return _not_stored(exc)
    log.info(
        "webhook %s.%s %s",
        parsed.event,
        parsed.data.get("action"),
        "queued" if new else "seen before",
        extra={"delivery_id": parsed.delivery_id},
    )
    if not new:
        return _answer(200, "delivery already received")
    return _answer(202, "queued")
