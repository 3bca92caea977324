"""A whole SQLite write transaction in one hand-over to a thread: the webhook intake's path.

Through SQLAlchemy's asyncio adapter a transaction is many round trips to aiosqlite's thread
(BEGIN, each statement, COMMIT), each a wake-up of the event loop, which under load is busy
answering requests: a batch of one delivery took 1.1 ms where SQLite's own work is 0.13 ms,
and every request of the next batch waits for it. `SQLiteWriter` runs BEGIN IMMEDIATE, the
caller's statements and COMMIT as one function on a thread and connection of its own, so a
batch costs one hand-over. The statements are built as SQLAlchemy would build them
(`storage/sqlite_insert.py`: the same defaults, bind processors and error classes).

SQLite has one writer at a time. The writer first checks out the engine's one pooled
connection (`storage.db.make_engine`: pool_size=1), and holds it, unused, for the
transaction: the process's other writers queue behind it on an asyncio wait, as they queue
behind each other, instead of on SQLite's busy handler (whose sleeps grow to 100 ms).
Writers in other processes wait on busy_timeout, as before.

The writer's connection does not checkpoint the WAL itself (`wal_autocheckpoint=0`): with
13 kB payloads SQLite's automatic checkpoint (at 1,000 pages) came every 250 deliveries and
took 13-28 ms inside the COMMIT that crossed the line, with every request of the next batch
waiting behind it. A thread of its own runs a PASSIVE checkpoint after writes instead, at
most every `CHECKPOINT_SECONDS`; a PASSIVE checkpoint takes no write lock, so batches commit
while it copies. The engine's own connections keep the automatic checkpoint, which finds
little to do while this one keeps up, and carries on alone if it does not.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import sqlite_file, tune_sqlite

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], T]
log = logging.getLogger(__name__)
CHECKPOINT_SECONDS = 0.05


class Checkpointer:
    """A thread that checkpoints the WAL (PASSIVE) once writes have happened, at most every
    `CHECKPOINT_SECONDS`, on a connection of its own."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._due = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def wrote(self) -> None:
        self._due.set()

    def close(self) -> None:
        self._closing = True
        self._due.set()
        self._thread.join()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, check_same_thread=False)
        tune_sqlite(connection, None)
        try:
            while not self._closing:  # checked after each wait: `close` may come at any point
                self._due.wait()
                time.sleep(CHECKPOINT_SECONDS)  # let a few batches' pages gather
                self._due.clear()
                self._checkpoint(connection)
        finally:
            connection.close()

    @staticmethod
    def _checkpoint(connection: sqlite3.Connection) -> None:
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:  # the next one, or the engine's automatic checkpoint, goes on
            log.warning("WAL checkpoint failed", exc_info=True)


class SQLiteWriter:
    """Runs write transactions on a connection of its own to the engine's SQLite file."""

    def __init__(self, engine: AsyncEngine, path: Path) -> None:
        self.engine = engine
        self.path = path
        # One thread: the connection is used from it alone, and transactions run in turn.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._connection: sqlite3.Connection | None = None
        self._checkpointer: Checkpointer | None = None

    @property
    def dialect(self) -> Dialect:
        """The engine's dialect, whose bind processors (JSON, datetimes) the statements use."""
        return self.engine.dialect

    async def run(self, work: Work[T]) -> T:
        """`work(connection)` inside BEGIN IMMEDIATE … COMMIT (ROLLBACK if it raises)."""
        async with self.engine.connect():  # the process's write turn; see the docstring
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self._thread, self._transaction, work)
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                # The thread cannot be stopped: it runs the transaction to its end. Keep the
                # write turn until then, or the next writer of this process meets SQLite's
                # busy handler instead of waiting its turn here.
                await asyncio.wait([future])
                raise

    def _transaction(self, work: Work[T]) -> T:
        connection = self._connect()
        connection.execute("BEGIN IMMEDIATE")
        try:
            result = work(connection)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        assert self._checkpointer is not None
        self._checkpointer.wrote()
        return result

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(self.path, check_same_thread=False)
            tune_sqlite(connection, None)  # the engine's own settings: WAL, busy_timeout…
            connection.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer's work
            self._connection = connection
            self._checkpointer = Checkpointer(self.path)
        return self._connection

    async def close(self) -> None:
        def close_connection() -> None:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            if self._checkpointer is not None:
                self._checkpointer.close()
                self._checkpointer = None

        await asyncio.get_running_loop().run_in_executor(self._thread, close_connection)
        self._thread.shutdown(wait=True)


def sqlite_writer(engine: AsyncEngine) -> SQLiteWriter | None:
    """A writer for the engine's SQLite file; None for PostgreSQL and in-memory SQLite (a
    second connection to `:memory:` would open another, empty, database)."""
    path = sqlite_file(engine.url.render_as_string(hide_password=False))
    return None if path is None else SQLiteWriter(engine, path)
