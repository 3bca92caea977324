"""The app's SQLite engine survives a task cancelled while its BEGIN was in flight."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import SessionMaker, transaction
from tests.database import configured_url

pytestmark = pytest.mark.skipif(configured_url() is not None, reason="SQLite's engine")


async def test_a_begin_that_ran_after_its_task_was_cancelled_does_not_poison_the_pool(
    engine: AsyncEngine, sessions: SessionMaker
) -> None:
    """A worker task cancelled (its lease lost, a shutdown) while its BEGIN IMMEDIATE waited on
    aiosqlite's thread hands the connection back first; the BEGIN runs after. The next
    transaction on the one pooled connection must still work, and see no leftover."""
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
    await driver.execute("BEGIN IMMEDIATE")  # the cancelled task's BEGIN, run late
    await driver.execute("CREATE TABLE leftover (n INTEGER)")  # and what it did, uncommitted
    async with transaction(sessions) as session:
        await session.exec(text("CREATE TABLE written (n INTEGER)"))  # type: ignore[call-overload]
    async with engine.connect() as connection:
        names = await connection.execute(text("SELECT name FROM sqlite_master"))
        found = {row[0] for row in names}
    assert "written" in found and "leftover" not in found
