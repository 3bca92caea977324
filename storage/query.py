"""SQL pieces the cost, ledger and cache queries share: per-project filters and exact sums."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, cast
from sqlalchemy.sql import Select
from sqlmodel import col, func
from sqlmodel.ext.asyncio.session import AsyncSession


def of_project(column: Any, project_id: int | None) -> list[ColumnElement[bool]]:
    """The WHERE clauses keeping one project's rows (`column` is its project id), or all."""
    return [] if project_id is None else [col(column) == project_id]


def total(column: Any) -> Any:
    """SUM as an integer: SUM of an empty set is NULL, and PostgreSQL's SUM of bigint is
    numeric; both become a BIGINT."""
    return cast(func.coalesce(func.sum(column), 0), BigInteger)


async def rows(session: AsyncSession, statement: Select[Any]) -> list[Sequence[Any]]:
    """Rows of a core select (sqlmodel's `select` takes at most four columns)."""
    connection = await session.connection()
    return list((await connection.execute(statement)).all())
