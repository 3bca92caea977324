"""POST /webhooks: every real payload accepted and handled; bad requests refused, nothing stored."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.web.intake import DELIVERY_JOB
from bot.web.manifest import load_app_yml
from storage.db import SessionMaker
from storage.deliveries import Delivery, DeliveryStatus
from storage.jobs import Job, JobStatus
from tests.apphelpers import RunningApp, sign, webhook_headers
from tests.githubdata import DELIVERED_EVENTS, delivered_examples


async def stored_counts(sessions: SessionMaker) -> tuple[int, int]:
    async with sessions() as session:
        deliveries = (await session.exec(select(func.count()).select_from(Delivery))).one()
        jobs = (await session.exec(select(func.count()).select_from(Job))).one()
    return deliveries, jobs


async def test_every_example_payload_is_acknowledged_and_handled(app: RunningApp) -> None:
    payloads = delivered_examples()
    assert len(payloads) >= 100
    assert set(load_app_yml()["default_events"]) <= DELIVERED_EVENTS
    ids = []
    for event, payload in payloads:
        delivery_id = str(uuid.uuid4())
        response = await app.deliver(event, payload, delivery_id=delivery_id)
        assert response.status_code == 202, (event, payload.get("action"), response.text)
        ids.append(delivery_id)
    assert await app.drain() == len(payloads)
    async with app.runtime.sessions() as session:
        rows = (await session.exec(select(Delivery))).all()
        # The handling jobs; the jobs they queue (labels of new installations) wait: no workflow.
        jobs = (await session.exec(select(Job).where(Job.kind == DELIVERY_JOB))).all()
    assert {row.id for row in rows} == set(ids)
    assert all(row.status in {DeliveryStatus.HANDLED, DeliveryStatus.IGNORED} for row in rows)
    assert all(job.status is JobStatus.DONE and job.attempts == 1 for job in jobs)
    handled = {(row.event, row.action) for row in rows if row.status is DeliveryStatus.HANDLED}
    assert ("installation", "created") in handled
    assert ("installation_repositories", "added") in handled


async def test_redelivery_of_every_payload_is_stored_and_handled_once(app: RunningApp) -> None:
    payloads = delivered_examples()
    for event, payload in payloads:
        delivery_id = str(uuid.uuid4())
        first = await app.deliver(event, payload, delivery_id=delivery_id)
        again = await app.deliver(event, payload, delivery_id=delivery_id)
        assert (first.status_code, again.status_code) == (202, 200)
    assert await stored_counts(app.runtime.sessions) == (len(payloads), len(payloads))
    assert await app.drain() == len(payloads)
    assert await app.drain() == 0


def _valid(secret: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"action": "opened", "zen": "Keep it logically awesome."}).encode()
    return body, webhook_headers("issues", body, secret)


def _bad_signature(secret: str) -> tuple[bytes, dict[str, str]]:
    body, headers = _valid(secret)
    return body, headers | {"x-hub-signature-256": "sha256=" + "0" * 64}


def _no_signature(secret: str) -> tuple[bytes, dict[str, str]]:
    body, headers = _valid(secret)
    headers.pop("x-hub-signature-256")
    return body, headers


def _wrong_secret(secret: str) -> tuple[bytes, dict[str, str]]:
    body, headers = _valid(secret)
    return body, headers | {"x-hub-signature-256": sign(body, secret + "-not")}


def _truncated(secret: str) -> tuple[bytes, dict[str, str]]:
    body, headers = _valid(secret)
    return body[: len(body) // 2], headers  # signature of the whole body no longer matches


def _not_json(secret: str) -> tuple[bytes, dict[str, str]]:
    body = b"action=opened&zen=not+json"
    return body, webhook_headers("issues", body, secret) | {"content-type": "text/plain"}


def _malformed_json(secret: str) -> tuple[bytes, dict[str, str]]:
    body = b'{"action": "opened",'
    return body, webhook_headers("issues", body, secret)


def _json_list(secret: str) -> tuple[bytes, dict[str, str]]:
    body = b"[1, 2, 3]"
    return body, webhook_headers("issues", body, secret)


def _no_event(secret: str) -> tuple[bytes, dict[str, str]]:
    body, headers = _valid(secret)
    headers.pop("x-github-event")
    return body, headers


def _no_delivery(secret: str) -> tuple[bytes, dict[str, str]]:
    body, headers = _valid(secret)
    headers.pop("x-github-delivery")
    return body, headers


@pytest.mark.parametrize(
    ("make", "status"),
    [
        (_bad_signature, 401),
        (_no_signature, 401),
        (_wrong_secret, 401),
        (_truncated, 401),
        (_not_json, 400),
        (_malformed_json, 400),
        (_json_list, 400),
        (_no_event, 400),
        (_no_delivery, 400),
    ],
)
async def test_bad_requests_are_refused_and_nothing_is_stored(
    app: RunningApp, make: Any, status: int
) -> None:
    body, headers = make(app.settings.webhook_secret())
    response = await app.client.post("/webhooks", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert await stored_counts(app.runtime.sessions) == (0, 0)


async def test_oversized_body_is_413_and_nothing_is_stored(app: RunningApp) -> None:
    limit = app.settings.webhook_max_bytes
    body = b'{"pad": "' + b"x" * limit + b'"}'
    headers = webhook_headers("issues", body, app.settings.webhook_secret())
    response = await app.client.post("/webhooks", content=body, headers=headers)
    assert response.status_code == 413
    assert await stored_counts(app.runtime.sessions) == (0, 0)


async def test_oversized_stream_without_length_is_413(app: RunningApp) -> None:
    limit = app.settings.webhook_max_bytes

    async def chunks() -> Any:
        for _ in range(limit // (1 << 20) + 2):
            yield b"x" * (1 << 20)

    headers = webhook_headers("issues", b"", app.settings.webhook_secret())
    response = await app.client.post("/webhooks", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert await stored_counts(app.runtime.sessions) == (0, 0)


async def test_webhooks_answer_503_until_configured(unconfigured_app: RunningApp) -> None:
    body = b'{"zen": "x"}'
    headers = webhook_headers("ping", body, "whatever")
    response = await unconfigured_app.client.post("/webhooks", content=body, headers=headers)
    assert response.status_code == 503
    assert await stored_counts(unconfigured_app.runtime.sessions) == (0, 0)
