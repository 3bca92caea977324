"""The SQLite writer keeps the process's write turn until its thread's transaction has ended."""

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

    write = asyncio.create_task(writer.run(slow_insert))
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
