"""Several processes starting at once on one PostgreSQL database migrate it once; the others
wait for that, then find the schema at head (a deploy's `release` line and every `web`)."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest

from storage.migrate import head_revision, schema_state, upgrade

PROCESSES = 4


def migrate_process(url: str, start: Any, results: Any) -> None:
    start.wait(60)
    try:
        applied = upgrade(url)
    except Exception as exc:
        results.put(("failed", f"{type(exc).__name__}: {exc}"))
        return
    results.put(("ok", [migration.revision for migration in applied]))


@pytest.mark.postgres_only
@pytest.mark.slow
def test_concurrent_upgrades_migrate_once_and_the_others_wait(empty_database_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(PROCESSES + 1), context.Queue()
    processes = [
        context.Process(target=migrate_process, args=(empty_database_url, start, results))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    start.wait(60)  # every process is up, so their migrations overlap
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(30)
    assert [outcome for outcome, _ in outcomes] == ["ok"] * PROCESSES, outcomes
    applied = sorted((revisions for _, revisions in outcomes), key=len)
    assert applied[:-1] == [[]] * (PROCESSES - 1)  # the others waited, then had nothing to do
    assert applied[-1][-1] == head_revision()
    assert schema_state(empty_database_url).at_head
