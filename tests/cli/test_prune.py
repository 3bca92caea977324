"""`ai-orchestrator prune --dry-run` counts what retention would delete and deletes nothing;
`prune` deletes it, as the hourly job does."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from bot.cli.main import main
from storage.db import SessionMaker, make_engine, make_sessionmaker
from tests.cli.conftest import set_env
from tests.queue.test_retention import Seeded, left, seed

T = TypeVar("T")


@pytest.fixture
def seeded(clean_env: pytest.MonkeyPatch, database_url: str) -> tuple[str, Seeded]:
    set_env(clean_env, {"DATABASE_URL": database_url})
    return database_url, asyncio.run(_with_sessions(database_url, seed))


async def _with_sessions(url: str, work: Callable[[SessionMaker], Awaitable[T]]) -> T:
    engine = make_engine(url)
    try:
        return await work(make_sessionmaker(engine))
    finally:
        await engine.dispose()


def remaining(url: str) -> tuple[set[str], set[int], set[int]]:
    return asyncio.run(_with_sessions(url, left))


def test_prune_dry_run_says_what_would_go_and_deletes_nothing(
    seeded: tuple[str, Seeded], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = seeded
    before = remaining(url)
    assert main(["prune", "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "deliveries older than 30 days: 1 would be deleted",
        "finished jobs older than 30 days: 3 would be deleted",
        "ledger rows: kept for good (RETAIN_LEDGER_DAYS is 0)",
        "plugin deliveries older than 30 days: 0 would be deleted",
        "expired sign-in sessions: 0 would be deleted",
    ]
    assert remaining(url) == before


def test_prune_deletes_what_the_dry_run_counted(
    seeded: tuple[str, Seeded],
    clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, rows = seeded
    set_env(clean_env, {"RETAIN_LEDGER_DAYS": "365", "RETAIN_JOBS_DAYS": "0"})
    assert main(["prune"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "deliveries older than 30 days: 1 deleted",
        "finished jobs: kept for good (RETAIN_JOBS_DAYS is 0)",
        "ledger rows older than 365 days: 1 deleted",
        "plugin deliveries: kept for good (RETAIN_JOBS_DAYS is 0)",
        "expired sign-in sessions: 0 deleted",
    ]
    deliveries, jobs, calls = remaining(url)
    assert deliveries == {rows.deliveries["recent"]}
    assert jobs == set(rows.jobs.values())
    assert calls == {rows.calls["project in progress"]}
