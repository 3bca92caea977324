"""INSERT … ON CONFLICT DO NOTHING for both backends, for idempotent writes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


def _insert(session: AsyncSession, table: Any) -> Any:
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def insert_ignore(
    session: AsyncSession, model: type[SQLModel], values: dict[str, Any], *, conflict: Sequence[str]
) -> bool:
    """Inserts `values` unless a row with the same `conflict` columns exists; True if inserted."""
    statement: Insert = _insert(session, model).values(**values)
    statement = statement.on_conflict_do_nothing(index_elements=list(conflict))  # type: ignore[attr-defined]
    # RETURNING, not rowcount: psycopg's async cursor reports -1 for a skipped insert.
    key = [column for column in model.__table__.primary_key]  # type: ignore[attr-defined]
    result = await session.exec(statement.returning(*key))
    return result.first() is not None
