"""Database engine and sessions: one async engine per process, SQLite or PostgreSQL.

Hosting platforms hand out `postgres://` and `postgresql://` URLs; both are rewritten to the
psycopg (3) driver, which serves both the async engine and Alembic's sync connection. SQLite
files use aiosqlite, in WAL mode with a busy timeout so the web process and the worker can
write to the same file.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import dump_json

SessionMaker = async_sessionmaker[AsyncSession]

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"}
_SYNC_DRIVERS = {"sqlite": "sqlite+pysqlite", "postgresql": "postgresql+psycopg"}
# A check that waits longer than this for PostgreSQL is waiting for a server that is not there.
CONNECT_TIMEOUT_SECONDS = 5


class DatabaseURLError(ValueError):
    """DATABASE_URL names a database this app cannot use."""


class DatabaseUnavailable(Exception):
    """The database cannot be opened or reached; the message is one line, without a password."""


def _parse(url: str) -> URL:
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise DatabaseURLError(f"not a database URL: {exc}") from None
    if parsed.get_backend_name() not in _ASYNC_DRIVERS:
        raise DatabaseURLError(
            f"unsupported database {parsed.get_backend_name()!r}; use sqlite or postgresql"
        )
    if parsed.get_backend_name() == "postgresql" and not _database_name(parsed):
        # libpq would fall back to a database named after the user, and migrate that.
        raise DatabaseURLError(
            "names no database; put its name after the host: postgresql://user@host:5432/NAME"
        )
    return parsed


def _database_name(parsed: URL) -> str | None:
    name = parsed.database or parsed.query.get("dbname")
    return name if isinstance(name, str) else None


def async_url(url: str) -> str:
    """The URL with the async driver this app uses for its backend."""
    parsed = _parse(url)
    driver = _ASYNC_DRIVERS[parsed.get_backend_name()]
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    """The URL with a sync driver, for Alembic."""
    parsed = _parse(url)
    driver = _SYNC_DRIVERS[parsed.get_backend_name()]
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def is_postgres(url: str) -> bool:
    return _parse(url).get_backend_name() == "postgresql"


def display_url(url: str) -> str:
    """The URL as a message may show it: the password masked."""
    return _parse(url).render_as_string(hide_password=True)


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; None for PostgreSQL and in-memory SQLite."""
    parsed = _parse(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def sync_engine(url: str) -> Engine:
    """A sync engine for one short task (Alembic, checks): no pool, a short connect timeout."""
    connect_args = {"connect_timeout": CONNECT_TIMEOUT_SECONDS} if is_postgres(url) else {}
    return create_engine(sync_url(url), poolclass=NullPool, connect_args=connect_args)


def unavailable(url: str, exc: DBAPIError) -> DatabaseUnavailable:
    """The driver's error as one line: libpq's first line, without its "FATAL:" noise."""
    lines = str(exc.orig).strip().splitlines() or [type(exc.orig).__name__]
    reason = lines[0].removeprefix("connection failed: ").replace("FATAL:  ", "")
    return DatabaseUnavailable(f"cannot open {display_url(url)}: {reason}")


def check_reachable(url: str) -> None:
    """Raises DatabaseUnavailable unless the database can be opened. A SQLite file need not
    exist yet (migrations create it), but its folder must, writable; nothing is created."""
    path = sqlite_file(url)
    if path is not None:
        _check_folder(path.absolute().parent)
    elif is_postgres(url):
        engine = sync_engine(url)
        try:
            with engine.connect():
                pass
        except DBAPIError as exc:
            raise unavailable(url, exc) from None
        finally:
            engine.dispose()


def _check_folder(folder: Path) -> None:
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise DatabaseUnavailable(f"the SQLite file's folder {folder} {what}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DatabaseUnavailable(f"the SQLite file's folder {folder} is not writable")


def tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy's recipe: let it emit BEGIN itself (see _begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")  # first: the journal_mode switch may wait too
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_immediate(conn: Any) -> None:
    # A deferred transaction that reads and then writes fails at once with "database is
    # locked" when another connection wrote in between (WAL snapshots cannot be upgraded);
    # taking the write lock at BEGIN makes it wait its turn under busy_timeout instead.
    # Sent straight to aiosqlite's thread (its `_execute` queue): one round trip, where
    # `exec_driver_sql` takes three (cursor, execute, close), and every transaction begins here.
    conn.connection.dbapi_connection.run_async(lambda driver: driver._execute(_begin_on, driver))


def _begin_on(driver: Any) -> None:
    # On aiosqlite's thread, after whatever was queued before. A transaction open here is a
    # leftover: a task cancelled while its own BEGIN waited on this thread gave the connection
    # back before that BEGIN ran, so the pool's reset saw none to roll back. Nobody else holds
    # a checked-out connection, and its caller saw the cancellation: it is rolled back, rather
    # than every later transaction of the process failing ("cannot start a transaction within
    # a transaction") on the one pooled connection.
    connection = driver._conn
    if connection.in_transaction:
        connection.rollback()
    connection.execute("BEGIN IMMEDIATE")


def _reset_sqlite(dbapi_connection: Any, _record: Any, state: Any) -> None:
    # The pool's default reset is a ROLLBACK on every return, a round trip to aiosqlite's
    # thread even after a commit (the usual case); SQLite knows whether a transaction is
    # open, so only a connection returned inside one is rolled back. Not while the pool
    # discards a connection outside the event loop (`asyncio_safe`): no more than the default.
    if state.asyncio_safe and dbapi_connection.driver_connection.in_transaction:
        dbapi_connection.rollback()


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine for `url` (any accepted form of DATABASE_URL)."""
    target = async_url(url)
    if is_postgres(url):
        return create_async_engine(
            target, echo=echo, pool_pre_ping=True, pool_size=10, json_serializer=dump_json
        )
    # SQLite has one writer at a time. Within a process, one pooled connection makes callers
    # queue on an asyncio wait rather than on SQLite's busy handler, whose sleeps grow to
    # 100 ms and set the webhook endpoint's p99; other processes still wait on busy_timeout.
    engine = create_async_engine(
        target,
        echo=echo,
        pool_size=1,
        max_overflow=0,
        pool_timeout=60,
        json_serializer=dump_json,
        pool_reset_on_return=None,  # _reset_sqlite instead
    )
    event.listen(engine.sync_engine, "connect", tune_sqlite)
    event.listen(engine.sync_engine, "begin", _begin_immediate)
    event.listen(engine.sync_engine.pool, "reset", _reset_sqlite)
    return engine


def make_sessionmaker(
    engine: AsyncEngine, *, wait_for: Callable[[], Awaitable[None]] | None = None
) -> SessionMaker:
    """Sessions on `engine`; with `wait_for`, each `async with` awaits it before it begins."""
    if wait_for is None:
        return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    return async_sessionmaker(engine, class_=_waiting_session(wait_for), expire_on_commit=False)


def _waiting_session(wait_for: Callable[[], Awaitable[None]]) -> type[AsyncSession]:
    class WaitingSession(AsyncSession):
        async def __aenter__(self) -> WaitingSession:
            await wait_for()
            await super().__aenter__()
            return self

    return WaitingSession


@asynccontextmanager
async def transaction(sessions: SessionMaker) -> AsyncIterator[AsyncSession]:
    """A session whose work commits on success and rolls back on error."""
    async with sessions() as session, session.begin():
        yield session
