"""Alembic migrations build exactly the schema the table models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.command import downgrade
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

import storage.schema  # noqa: F401  (every table on the metadata)
from storage.db import sync_url
from storage.migrate import alembic_config, upgrade


def schema_differences(url: str) -> list[object]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), SQLModel.metadata))
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_matches_the_models(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    assert schema_differences(empty_database_url) == []
    assert set(SQLModel.metadata.tables) <= table_names(empty_database_url)


def test_upgrade_is_idempotent_and_downgrade_removes_everything(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    upgrade(empty_database_url)
    downgrade(alembic_config(empty_database_url), "base")
    assert table_names(empty_database_url) <= {"alembic_version"}


def test_upgrade_keeps_existing_projects(empty_database_url: str) -> None:
    upgrade(empty_database_url, "0001")
    engine = create_engine(sync_url(empty_database_url))
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO projects (installation_id, repo_id, owner, repo, issue_number,"
                    " issue_title, issue_body, started_by, status, created_at, updated_at)"
                    " VALUES (1, 2, 'o', 'r', 3, 't', 'b', 'u', 'PLANNING',"
                    " '2026-11-01 00:00:00+00:00', '2026-11-01 00:00:00+00:00')"
                )
            )
        upgrade(empty_database_url)
        with engine.connect() as conn:
            row = conn.execute(text("SELECT step, budget_nanousd, paused FROM projects")).one()
    finally:
        engine.dispose()
    assert (row.step, row.budget_nanousd, bool(row.paused)) == ("planning", 0, False)
    assert schema_differences(empty_database_url) == []
