"""A whole SQLite write transaction at once, without SQLAlchemy's round trips: the webhook
intake's path.

Through SQLAlchemy's asyncio adapter a transaction is many round trips to aiosqlite's thread
(BEGIN, each statement, COMMIT), each a wake-up of the event loop, which under load is busy
answering requests: a batch of one delivery took 1.1 ms where SQLite's own work is 0.13 ms,
and every request of the next batch waits for it. `SQLiteWriter` runs BEGIN IMMEDIATE, the
caller's statements and COMMIT as one function on a connection of its own. The statements
are built as SQLAlchemy would build them (`storage/sqlite_insert.py`: the same defaults, bind
processors and error classes).

It runs on the event loop's own thread when the write lock is free at once (BEGIN IMMEDIATE
with no busy wait), which is nearly always. A hand-over to a thread costs two wake-ups, about
0.1 ms on the 2-core machine of the README's figures, more than the loop won by parsing
requests meanwhile: the 8-connection rate of `bench/webhooks.py` was 0.36 of the bare
endpoint's inline against 0.27 through the thread, in interleaved runs. When another process
holds the lock (a CLI `prune`, a second `serve` by mistake) the loop must not block on it: the
whole transaction goes to the thread instead, on a second connection that waits under the
engine's busy_timeout.

SQLite has one writer at a time. The writer first checks out the engine's one pooled
connection (`storage.db.make_engine`: pool_size=1), and holds it, unused, for the
transaction: the process's other writers queue behind it on an asyncio wait, as they queue
behind each other, instead of on SQLite's busy handler (whose sleeps grow to 100 ms). That
also means no transaction of this process is open when the inline BEGIN runs.

The writer's connections do not checkpoint the WAL themselves (`wal_autocheckpoint=0`): with
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
        # One thread, for the transactions that must wait for another process's lock.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._inline: sqlite3.Connection | None = None  # on the loop's thread: no busy wait
        self._waiting: sqlite3.Connection | None = None  # on `_thread`: waits out the lock
        self._checkpointer: Checkpointer | None = None

    @property
    def dialect(self) -> Dialect:
        """The engine's dialect, whose bind processors (JSON, datetimes) the statements use."""
        return self.engine.dialect

    async def run(self, work: Work[T]) -> T:
        """`work(connection)` inside BEGIN IMMEDIATE … COMMIT (ROLLBACK if it raises)."""
        async with self.engine.connect():  # the process's write turn; see the docstring
            try:
                return self._transaction(self._connect_inline(), work)
            except _LockTaken:
                pass  # another process writes: wait for it on the thread, not on the loop
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self._thread, self._on_thread, work)
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                # The thread cannot be stopped: it runs the transaction to its end. Keep the
                # write turn until then, or the next writer of this process meets SQLite's
                # busy handler instead of waiting its turn here.
                await asyncio.wait([future])
                raise

    def _on_thread(self, work: Work[T]) -> T:
        if self._waiting is None:
            self._waiting = self._open(busy_ms=None)
        return self._transaction(self._waiting, work)

    def _transaction(self, connection: sqlite3.Connection, work: Work[T]) -> T:
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode == sqlite3.SQLITE_BUSY:
                raise _LockTaken from exc
            raise
        try:
            result = work(connection)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        assert self._checkpointer is not None
        self._checkpointer.wrote()
        return result

    def _connect_inline(self) -> sqlite3.Connection:
        if self._inline is None:
            self._inline = self._open(busy_ms=0)
            self._checkpointer = Checkpointer(self.path)
        return self._inline

    def _open(self, *, busy_ms: int | None) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, check_same_thread=False)
        tune_sqlite(connection, None)  # the engine's own settings: WAL, busy_timeout…
        connection.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer's work
        if busy_ms is not None:
            connection.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        return connection

    async def close(self) -> None:
        def close_connections() -> None:
            for connection in (self._inline, self._waiting):
                if connection is not None:
                    connection.close()
            self._inline = self._waiting = None
            if self._checkpointer is not None:
                self._checkpointer.close()
                self._checkpointer = None

        await asyncio.get_running_loop().run_in_executor(self._thread, close_connections)
        self._thread.shutdown(wait=True)


class _LockTaken(Exception):
    """BEGIN IMMEDIATE found another connection holding SQLite's write lock."""


def sqlite_writer(engine: AsyncEngine) -> SQLiteWriter | None:
    """A writer for the engine's SQLite file; None for PostgreSQL and in-memory SQLite (a
    second connection to `:memory:` would open another, empty, database)."""
    path = sqlite_file(engine.url.render_as_string(hide_password=False))
    return None if path is None else SQLiteWriter(engine, path)
