"""Installations are written with one INSERT … ON CONFLICT, so concurrent deliveries of one
installation's events (GitHub sends `installation.created` and may send it again) agree."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from storage.db import SessionMaker, transaction
from storage.installations import Installation, change_repositories, upsert_installation

INSTALLATION = 4242


def created(account: str = "octo-org", repositories: tuple[str, ...] = ("a",)) -> dict[str, Any]:
    return {
        "action": "created",
        "installation": {"id": INSTALLATION, "account": {"login": account, "type": "User"}},
        "repositories": [{"full_name": f"{account}/{name}"} for name in repositories],
    }


async def upsert_in_own_transaction(sessions: SessionMaker, payload: dict[str, Any]) -> None:
    async with transaction(sessions) as session:
        await upsert_installation(session, payload)


async def rows(sessions: SessionMaker) -> list[Installation]:
    async with sessions() as session:
        return list((await session.exec(select(Installation))).all())


@pytest.mark.postgres_only
async def test_concurrent_installation_created_deliveries_store_one_row_without_a_conflict(
    sessions: SessionMaker,
) -> None:
    """Each delivery in its own transaction on its own connection, all at once: none raises
    UniqueViolation on installations_pkey (the delivery job would fail and retry)."""
    await asyncio.gather(*(upsert_in_own_transaction(sessions, created()) for _ in range(6)))
    stored = await rows(sessions)
    assert [(row.id, row.account, row.repositories) for row in stored] == [
        (INSTALLATION, "octo-org", ["octo-org/a"])
    ]


async def test_a_second_created_refreshes_the_row_and_clears_deleted(
    sessions: SessionMaker,
) -> None:
    await upsert_in_own_transaction(sessions, created())
    async with transaction(sessions) as session:
        row = await session.get(Installation, INSTALLATION)
        assert row is not None
        row.deleted_at = row.created_at
        session.add(row)
    await upsert_in_own_transaction(sessions, created("renamed", ("b", "c")))
    [row] = await rows(sessions)
    assert (row.account, row.account_type, row.repositories) == (
        "renamed",
        "User",
        ["renamed/b", "renamed/c"],
    )
    assert row.active


async def test_repositories_changed_before_any_created_creates_the_row(
    sessions: SessionMaker,
) -> None:
    payload = {
        "installation": {"id": INSTALLATION, "account": {"login": "octo-org"}},
        "repositories_added": [{"full_name": "octo-org/x"}],
        "repository_selection": "selected",
    }
    async with transaction(sessions) as session:
        await change_repositories(session, payload)
    async with sessions() as session:
        count = (await session.exec(select(func.count()).select_from(Installation))).one()
    [row] = await rows(sessions)
    assert count == 1
    assert (row.repositories, row.repository_selection) == (["octo-org/x"], "selected")
