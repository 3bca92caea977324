"""Column types shared by the tables: UTC-aware datetimes and JSON documents.

SQLite stores no time zone, so a naive value read back is UTC by construction; `UTCDateTime`
re-attaches it so every datetime the app compares is aware (the seed system compared naive
with aware values and its cache never hit).

A JSON column takes a `RawJSON` as well as a Python value: text that is JSON already (a
webhook body, as GitHub sent it), written as is instead of parsed and serialised again
(`dump_json` is the engines' serializer; `storage.db.make_engine` installs it).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

JSONType = JSON().with_variant(JSONB(), "postgresql")


class RawJSON:
    """JSON text to store in a JSON column as it is. The caller vouches that it is JSON; on
    PostgreSQL the server parses it (and refuses what JSONB cannot hold, as it would the
    serialised value)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"RawJSON({len(self.text)} characters)"  # never the payload itself in a log


def dump_json(value: Any) -> str:
    """The engines' JSON serializer: `json.dumps`, as SQLAlchemy's default, for values;
    `RawJSON` text as it is."""
    if isinstance(value, RawJSON):
        return value.text
    return json.dumps(value)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
