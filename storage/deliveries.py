"""Webhook deliveries as GitHub sent them: stored once per X-GitHub-Delivery id."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import JSONType, RawJSON, UTCDateTime, utcnow
from storage.upsert import insert_ignore, insert_ignore_many, insert_ignore_many_sync

EVENT_LIMIT = 64
NOTE_LIMIT = 2000


class DeliveryStatus(StrEnum):
    RECEIVED = "received"
    HANDLED = "handled"
    IGNORED = "ignored"
    FAILED = "failed"


class Delivery(SQLModel, table=True):
    __tablename__ = "deliveries"

    id: str = Field(primary_key=True, max_length=64)
    event: str = Field(max_length=EVENT_LIMIT, index=True)
    action: str | None = Field(default=None, max_length=64)
    installation_id: int | None = Field(default=None, index=True)
    repository: str | None = Field(default=None, max_length=255)
    sender: str | None = Field(default=None, max_length=255)
    payload: dict[str, Any] = Field(sa_type=JSONType)
    status: DeliveryStatus = Field(default=DeliveryStatus.RECEIVED, max_length=16)
    note: str | None = Field(default=None, max_length=NOTE_LIMIT)
    received_at: datetime = Field(sa_type=UTCDateTime, index=True)
    handled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def describe(payload: dict[str, Any]) -> dict[str, Any]:
    """The indexed facts of a payload: action, installation, repository, sender."""
    installation = payload.get("installation") or {}
    repository = payload.get("repository") or {}
    sender = payload.get("sender") or {}
    action = payload.get("action")
    return {
        "action": action if isinstance(action, str) else None,
        "installation_id": installation.get("id") if isinstance(installation, dict) else None,
        "repository": repository.get("full_name") if isinstance(repository, dict) else None,
        "sender": sender.get("login") if isinstance(sender, dict) else None,
    }


@dataclass(frozen=True)
class NewDelivery:
    """A delivery to store. `raw`, when given, is the payload's JSON text (the body as GitHub
    sent it), stored as it is, so the payload is never serialised again; `payload` then need
    hold no more than what `describe` reads (the webhook endpoint parses no more)."""

    delivery_id: str
    event: str
    payload: dict[str, Any]
    raw: str | None = field(default=None, repr=False)

    def stored_payload(self) -> dict[str, Any] | RawJSON:
        return RawJSON(self.raw) if self.raw is not None else self.payload

    def row(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.delivery_id,
            "event": self.event,
            "payload": self.stored_payload(),
            "status": DeliveryStatus.RECEIVED,
            "received_at": now,
            **describe(self.payload),
        }

    def body_text(self) -> str:
        return self.raw if self.raw is not None else json.dumps(self.payload)

    def unstored_row(self, now: datetime, reason: str) -> dict[str, Any]:
        """A failed row for a delivery the database refused as sent: the payload kept as one
        JSON string (what JSONB or an integer column refused inside it is then plain text),
        none of its facts (one of them may be what was refused)."""
        return {
            "id": self.delivery_id,
            "event": self.event[:EVENT_LIMIT],
            "payload": {"unstored_body": self.body_text()},
            "status": DeliveryStatus.FAILED,
            "note": f"not stored as sent: {reason}"[:NOTE_LIMIT],
            "received_at": now,
            "handled_at": now,
        }


async def record_deliveries(
    session: AsyncSession, deliveries: Sequence[NewDelivery], *, now: datetime | None = None
) -> set[str]:
    """Stores the deliveries not seen before, in one statement; returns their ids."""
    rows = _rows(deliveries, now or utcnow())
    inserted = await insert_ignore_many(session, Delivery, rows, conflict=["id"], returning="id")
    return {str(delivery_id) for delivery_id in inserted}


def record_deliveries_sync(
    connection: sqlite3.Connection, dialect: Dialect, deliveries: Sequence[NewDelivery]
) -> set[str]:
    """`record_deliveries` on a plain sqlite3 connection in its open transaction."""
    rows = _rows(deliveries, utcnow())
    inserted = insert_ignore_many_sync(
        connection, dialect, Delivery, rows, conflict=["id"], returning="id"
    )
    return {str(delivery_id) for delivery_id in inserted}


def _rows(deliveries: Sequence[NewDelivery], now: datetime) -> list[dict[str, Any]]:
    unique = {d.delivery_id: d for d in reversed(deliveries)}  # the first of duplicates wins
    return [delivery.row(now) for delivery in unique.values()]


async def record_unstored(
    session: AsyncSession, delivery: NewDelivery, reason: str, *, now: datetime | None = None
) -> None:
    """Keeps a refused delivery as a failure with its reason (unless its id is known)."""
    row = delivery.unstored_row(now or utcnow(), reason)
    await insert_ignore(session, Delivery, row, conflict=["id"])


async def get_delivery(session: AsyncSession, delivery_id: str) -> Delivery | None:
    return await session.get(Delivery, delivery_id)


async def mark_delivery(
    session: AsyncSession,
    delivery_id: str,
    status: DeliveryStatus,
    *,
    note: str | None = None,
    now: datetime | None = None,
) -> None:
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None:
        return
    delivery.status = status
    delivery.note = note[:NOTE_LIMIT] if note else None
    delivery.handled_at = now or utcnow()
    session.add(delivery)


async def recent_deliveries(session: AsyncSession, *, limit: int = 20) -> list[Delivery]:
    statement = select(Delivery).order_by(col(Delivery.received_at).desc()).limit(limit)
    return list((await session.exec(statement)).all())
