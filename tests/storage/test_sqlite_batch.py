"""The SQLite writer: inline when SQLite's write lock is free, on its thread when another
process holds it (keeping the process's write turn until that transaction ends), and the WAL
checkpointed off both."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.sqlite_batch import sqlite_writer
from tests.database import configured_url

pytestmark = pytest.mark.skipif(configured_url() is not None, reason="the writer is SQLite's")


async def test_a_cancelled_write_holds_the_turn_until_its_transaction_ends(
    engine: AsyncEngine,
) -> None:
    writer = sqlite_writer(engine)
    assert writer is not None
    async with engine.connect() as connection:  # open the pooled connection before the test
        await connection.execute(text("SELECT 1"))
    started, release = threading.Event(), threading.Event()

    def slow_insert(connection: sqlite3.Connection) -> None:
        started.set()
        release.wait(10)
        connection.execute("CREATE TABLE written (n INTEGER)")

    other = sqlite3.connect(writer.path)  # another process holds the write lock, so the
    other.execute("BEGIN IMMEDIATE")  # transaction goes to the writer's thread, and waits
    write = asyncio.create_task(writer.run(slow_insert))
    await asyncio.sleep(0.1)
    other.rollback()
    await asyncio.to_thread(started.wait, 10)
    write.cancel()
    await asyncio.sleep(0.05)  # the cancellation is delivered, the thread still works

    turns: list[str] = []

    async def next_writer() -> list[str]:
        async with engine.connect() as connection:  # the turn the writer holds
            turns.append("next writer")
            found = await connection.execute(text("SELECT name FROM sqlite_master"))
            return [row[0] for row in found]

    turn = asyncio.create_task(next_writer())
    await asyncio.sleep(0.1)
    # Had the turn passed on, the next writer would now sit in SQLite's busy handler.
    assert turns == [], "the next writer got the turn while the transaction was open"
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await write
    assert "written" in await asyncio.wait_for(turn, 5)  # committed before the turn passed on
    await writer.close()


async def test_the_wal_is_checkpointed_off_the_writers_thread(engine: AsyncEngine) -> None:
    """The writer's COMMIT never checkpoints (its connection's automatic checkpoint is off);
    the checkpointer thread copies the WAL into the database file soon after."""
    writer = sqlite_writer(engine)
    assert writer is not None

    def write(connection: sqlite3.Connection) -> int:
        connection.execute("CREATE TABLE IF NOT EXISTS blobs (body TEXT)")
        connection.executemany("INSERT INTO blobs VALUES (?)", [("x" * 4000,)] * 50)
        found = connection.execute("PRAGMA wal_autocheckpoint").fetchone()
        return int(found[0])

    before = writer.path.stat().st_size
    assert await writer.run(write) == 0
    for _ in range(100):  # the checkpoint comes within CHECKPOINT_SECONDS, and some slack
        if writer.path.stat().st_size >= before + 50 * 4000:
            break
        await asyncio.sleep(0.02)
    assert writer.path.stat().st_size >= before + 50 * 4000  # the 200 kB left the WAL
    await writer.close()


async def test_a_lock_held_elsewhere_is_waited_for_on_the_thread_not_the_loop(
    engine: AsyncEngine,
) -> None:
    writer = sqlite_writer(engine)
    assert writer is not None
    async with engine.connect() as connection:  # the app's connection is open (WAL is on)
        await connection.execute(text("SELECT 1"))
    other = sqlite3.connect(writer.path)  # a CLI command of another process, mid-transaction
    other.execute("BEGIN IMMEDIATE")

    def insert(connection: sqlite3.Connection) -> str:
        connection.execute("CREATE TABLE waited (n INTEGER)")
        return threading.current_thread().name

    write = asyncio.create_task(writer.run(insert))
    ticks = 0
    for _ in range(10):  # the loop keeps running while the write waits for the lock
        await asyncio.sleep(0.02)
        ticks += 1
    assert ticks == 10 and not write.done()
    other.rollback()
    assert (await asyncio.wait_for(write, 5)).startswith("sqlite-writer")
    assert await writer.run(insert_again) == threading.current_thread().name  # free: inline
    await writer.close()


def insert_again(connection: sqlite3.Connection) -> str:
    connection.execute("INSERT INTO waited VALUES (1)")
    return threading.current_thread().name
