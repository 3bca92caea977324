"""INSERT … ON CONFLICT for both backends, for idempotent writes: DO NOTHING, or DO UPDATE
where the newest answer wins (a get-or-create in two statements races on PostgreSQL: both
transactions find nothing, and the second one's INSERT fails on the key)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.sqlite_insert import insert_ignore_rows, insert_ignore_rows_sync, plan_for
from storage.types import utcnow


def _insert(session: AsyncSession, model: type[SQLModel]) -> Any:
    # The Core table, not the ORM entity: a plain executemany that SQLAlchemy compiles once
    # and batches ("insertmanyvalues"), RETURNING included.
    table = model.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def insert_ignore_many(
    session: AsyncSession,
    model: type[SQLModel],
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str],
    returning: str,
) -> list[Any]:
    """Inserts `rows` in one statement, skipping those that clash on `conflict`.

    Returns the `returning` column of the rows actually inserted. RETURNING, not rowcount:
    psycopg's async cursor reports -1 for a skipped insert. On SQLite the statement goes to
    the driver in one round trip (`storage/sqlite_insert.py`), when the rows share their keys.
    """
    if not rows:
        return []
    table = model.__table__  # type: ignore[attr-defined]
    connection = await session.connection()
    if connection.dialect.name == "sqlite":
        keys = tuple(rows[0])
        plan = plan_for(table, connection.dialect, keys, tuple(conflict), returning)
        if plan is not None and all(tuple(row) == keys for row in rows):
            return await insert_ignore_rows(connection, plan, rows)
    insert = _insert(session, model)
    statement = insert.on_conflict_do_nothing(index_elements=list(conflict)).returning(
        insert.table.c[returning]
    )
    result = await session.connection()
    rows_out = await result.execute(statement, list(rows))
    return list(rows_out.scalars().all())


def insert_ignore_many_sync(
    connection: sqlite3.Connection,
    dialect: Dialect,
    model: type[SQLModel],
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str],
    returning: str,
) -> list[Any]:
    """`insert_ignore_many` on a plain sqlite3 connection in its open transaction (the
    intake's `storage.sqlite_batch.SQLiteWriter`), for rows that share their keys."""
    if not rows:
        return []
    table = model.__table__  # type: ignore[attr-defined]
    keys = tuple(rows[0])
    plan = plan_for(table, dialect, keys, tuple(conflict), returning)
    if plan is None or any(tuple(row) != keys for row in rows):
        raise TypeError(f"rows of {table.name} this path cannot insert: keys {keys}")
    return insert_ignore_rows_sync(connection, plan, rows)


async def insert_ignore(
    session: AsyncSession, model: type[SQLModel], values: dict[str, Any], *, conflict: Sequence[str]
) -> bool:
    """Inserts `values` unless a row with the same `conflict` columns exists; True if inserted."""
    key = [column.name for column in model.__table__.primary_key]  # type: ignore[attr-defined]
    inserted = await insert_ignore_many(
        session, model, [values], conflict=conflict, returning=key[0]
    )
    return bool(inserted)


async def upsert(
    session: AsyncSession,
    model: type[SQLModel],
    values: dict[str, Any],
    *,
    conflict: Sequence[str],
    update: Sequence[str],
) -> None:
    """Inserts `values`, or, where a row clashes on `conflict`, sets its `update` columns to
    them: one statement, which on PostgreSQL waits for a concurrent insert of the same key and
    then updates, and keeps the row locked for the rest of the transaction."""
    insert = _insert(session, model).values(values)
    changes = {name: insert.excluded[name] for name in update}
    statement = insert.on_conflict_do_update(index_elements=list(conflict), set_=changes)
    await (await session.connection()).execute(statement)


async def update_row(
    session: AsyncSession, model: type[SQLModel], row_id: int | None, **changes: Any
) -> Any:
    """Applies `changes` to the row, re-read and locked in this transaction, and returns it.

    Re-reading under `FOR UPDATE` (PostgreSQL) means a caller holding a stale copy never writes
    back fields another job changed meanwhile; only `changes` (and `updated_at`) are written.
    """
    stored = await session.get(model, row_id, with_for_update=True, populate_existing=True)
    if stored is None:
        raise LookupError(f"no {model.__name__} {row_id}")
    for name, value in changes.items():
        setattr(stored, name, value)
    stored.updated_at = utcnow()
    session.add(stored)
    await session.flush()
    return stored
