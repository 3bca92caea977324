"""The commands' way into the database: it must open and be at the newest schema.

Only `serve`, `web` (when AUTO_MIGRATE) and `db upgrade` change the schema. Every other command
that reads or writes the database checks its revision first, and on a new or older database
says so in one line naming the command that migrates it (exit 3), rather than migrating as a
side effect of a read: an operator's `cost` must not alter a production schema, and a mistyped
DATABASE_URL must not leave a new SQLite file behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.preflight import invalid
from bot.settings import Settings, SettingsError
from storage.db import (
    DatabaseUnavailable,
    SessionMaker,
    check_reachable,
    display_url,
    make_engine,
    make_sessionmaker,
)
from storage.migrate import Migration, SchemaState, schema_state, upgrade

T = TypeVar("T")

UPGRADE = "run `ai-orchestrator db upgrade`"


class SchemaNotReady(Exception):
    """The database has no schema, or an older or newer one than this release; one line."""


def schema_problem(state: SchemaState) -> str | None:
    """What is wrong with the schema and what to run, or None at the newest revision."""
    if not state.known:
        return (
            f"at revision {state.current}, which this release does not know (its newest is "
            f"{state.head}): upgrade ai-orchestrator"
        )
    if state.at_head:
        return None
    if state.current is None:
        return f"no schema yet ({UPGRADE} to create it)"
    pending = ", ".join(migration.revision for migration in state.pending)
    return f"at {state.current}; migrations pending: {pending} ({UPGRADE})"


def read_schema(settings: Settings) -> SchemaState:
    """The schema's state; SettingsError naming DATABASE_URL when the database does not open."""
    try:
        check_reachable(settings.database_url)
        return schema_state(settings.database_url)
    except DatabaseUnavailable as exc:
        raise SettingsError(invalid("DATABASE_URL", str(exc))) from None


def _not_ready(settings: Settings, problem: str) -> SchemaNotReady:
    url = display_url(settings.database_url)
    return SchemaNotReady(f"the database {url} is not ready: {problem}")


def require_schema(settings: Settings) -> None:
    """Raises SettingsError (the database does not open) or SchemaNotReady."""
    problem = schema_problem(read_schema(settings))
    if problem is not None:
        raise _not_ready(settings, problem)


def migrate(settings: Settings) -> tuple[Migration, ...]:
    """Brings the schema to the newest revision; the migrations applied, oldest first. A schema
    newer than this release is refused: Alembic cannot find its revision."""
    state = read_schema(settings)
    problem = schema_problem(state)
    if not state.known and problem is not None:
        raise _not_ready(settings, problem)
    try:
        return upgrade(settings.database_url)
    except DatabaseUnavailable as exc:
        raise SettingsError(invalid("DATABASE_URL", str(exc))) from None


def run_with_sessions(settings: Settings, work: Callable[[SessionMaker], Awaitable[T]]) -> T:
    """Runs `work` against a database at the newest schema, and disposes of the engine."""
    require_schema(settings)

    async def main() -> T:
        engine = make_engine(settings.database_url)
        try:
            return await work(make_sessionmaker(engine))
        finally:
            await engine.dispose()

    return asyncio.run(main())
