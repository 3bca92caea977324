"""INSERT … ON CONFLICT DO NOTHING RETURNING on SQLite, in one call to the driver.

Through SQLAlchemy's asyncio adapter, one statement is four round trips to aiosqlite's thread
(cursor, execute, fetch, close), each a thread wake-up and a GIL hand-over, plus the
adapter's and greenlets' own work: the webhook intake's two INSERTs cost more CPU than the
rest of a request together. Here the statement goes to the driver as one `execute_fetchall`
on the connection the caller's transaction holds (one round trip), with the values turned
into SQLite's as SQLAlchemy would turn them: the same column defaults for columns a row
leaves out, the same bind processors (UTC datetimes, JSON, enums), the same result
processors, and the driver's errors wrapped in SQLAlchemy's exception classes
(`IntegrityError`, `OperationalError`…), so callers see no difference. Statement events and
echo do not see these statements.

`plan_for` returns None for what this path does not cover (a default computed in SQL, a
sequence); the caller then takes SQLAlchemy's path.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection

Processor = Callable[[Any], Any]
# SQLite's smallest limit on bound values per statement (SQLITE_MAX_VARIABLE_NUMBER before
# 3.32); a longer batch is sent as several statements, in the same transaction.
MAX_VALUES = 999


def _identity(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Plan:
    """How rows with the same keys are inserted into one table."""

    keys: tuple[str, ...]  # the rows' own keys, in the order bound
    defaults: tuple[tuple[str, Callable[[], Any]], ...]  # columns the rows leave out
    processors: tuple[Processor, ...]  # per bound column, keys then defaults
    head: str  # INSERT INTO t (a, b) VALUES
    tail: str  # ON CONFLICT (…) DO NOTHING RETURNING c
    result: Processor

    @property
    def width(self) -> int:
        return len(self.processors)

    def sql(self, rows: int) -> str:
        group = "(" + ", ".join("?" * self.width) + ")"
        return f"{self.head} {', '.join([group] * rows)} {self.tail}"

    def values(self, row: dict[str, Any]) -> list[Any]:
        raw = [row[key] for key in self.keys] + [make() for _, make in self.defaults]
        return [process(value) for process, value in zip(self.processors, raw, strict=True)]


def _default(column: Any) -> Callable[[], Any] | None:
    """The column's Python-side default as a function of nothing, or None if it has none.
    Raises LookupError for a default this path cannot compute (SQL, a sequence)."""
    default = column.default
    if default is None:
        return None
    if default.is_scalar:
        value = default.arg
        return lambda: value
    if default.is_callable:
        make = default.arg  # SQLAlchemy wraps a no-argument function to take the context
        return lambda: make(None)
    raise LookupError(column.name)


@lru_cache(maxsize=256)  # a few tables, one dialect per engine
def plan_for(
    table: Table, dialect: Dialect, keys: tuple[str, ...], conflict: tuple[str, ...], returning: str
) -> Plan | None:
    if not set(keys) <= set(table.c.keys()):
        return None  # SQLAlchemy's path says what is wrong with them
    quote = dialect.identifier_preparer.quote
    defaults: list[tuple[str, Callable[[], Any]]] = []
    for column in table.columns:
        if column.key in keys:
            continue
        try:
            make = _default(column)
        except LookupError:
            return None
        if make is not None:
            defaults.append((column.key, make))
    names = [*keys, *(name for name, _ in defaults)]
    processors = tuple(
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) or _identity
        for name in names
    )
    target = table.c[returning]
    result = target.type.dialect_impl(dialect).result_processor(dialect, None) or _identity
    columns = ", ".join(quote(table.c[name].name) for name in names)
    head = f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({columns}) VALUES"
    on = ", ".join(quote(table.c[name].name) for name in conflict)
    tail = f"ON CONFLICT ({on}) DO NOTHING RETURNING {quote(target.name)}"
    return Plan(keys, tuple(defaults), processors, head, tail, result)


async def insert_ignore_rows(
    connection: AsyncConnection, plan: Plan, rows: Sequence[dict[str, Any]]
) -> list[Any]:
    """Inserts `rows` (all with `plan.keys`) in the connection's transaction; returns the
    `returning` column of those inserted."""
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None  # a live connection has its driver's
    inserted: list[Any] = []
    for sql, values in statements(plan, rows):
        try:
            fetched = await driver.execute_fetchall(sql, values)
        except sqlite3.Error as exc:
            raise as_dbapi_error(sql, exc) from exc
        inserted.extend(plan.result(found[0]) for found in fetched)
    return inserted


def insert_ignore_rows_sync(
    connection: sqlite3.Connection, plan: Plan, rows: Sequence[dict[str, Any]]
) -> list[Any]:
    """`insert_ignore_rows` on a plain sqlite3 connection, in its open transaction."""
    inserted: list[Any] = []
    for sql, values in statements(plan, rows):
        try:
            fetched = connection.execute(sql, values).fetchall()
        except sqlite3.Error as exc:
            raise as_dbapi_error(sql, exc) from exc
        inserted.extend(plan.result(found[0]) for found in fetched)
    return inserted


def statements(plan: Plan, rows: Sequence[dict[str, Any]]) -> Iterator[tuple[str, list[Any]]]:
    """The INSERTs for `rows`, as many as SQLite's limit on bound values needs."""
    per_statement = max(1, MAX_VALUES // plan.width)
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        yield plan.sql(len(chunk)), [value for row in chunk for value in plan.values(row)]


def as_dbapi_error(sql: str, exc: sqlite3.Error) -> StatementError:
    """The driver's error as SQLAlchemy would raise it (`IntegrityError`…), values hidden."""
    return DBAPIError.instance(sql, None, exc, sqlite3.Error, hide_parameters=True)
