"""Alembic migrations build exactly the schema the table models describe, on both backends, and
every one of them goes down to what the one before built, and up again.

`tests/database.py` builds every other test's database with these same migrations.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.command import downgrade
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine, Enum, create_engine, inspect, text
from sqlmodel import SQLModel

import storage.schema  # noqa: F401  (every table on the metadata)
from storage.db import sync_url
from storage.migrate import alembic_config, upgrade


@contextmanager
def connected(url: str) -> Iterator[Engine]:
    engine = create_engine(sync_url(url))
    try:
        yield engine
    finally:
        engine.dispose()


def _no_server_default_in_the_model(
    context: object,
    inspected: Column[Any],
    metadata: Column[Any],
    inspected_default: str | None,
    metadata_default: object,
    rendered_metadata_default: str | None,
) -> bool | None:
    """The migrations give columns added to existing tables a server default (for the rows
    already there) that the models need not repeat; a default the model does declare is
    compared as Alembic would (None: its own comparison)."""
    return False if metadata.server_default is None else None


def schema_differences(url: str) -> list[object]:
    """What autogenerate would write into a new migration: tables, columns, their types and
    lengths, nullability, declared server defaults, indexes, unique and foreign keys."""
    options = {"compare_type": True, "compare_server_default": _no_server_default_in_the_model}
    with connected(url) as engine, engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=options)
        return list(compare_metadata(context, SQLModel.metadata))


def enum_differences(url: str) -> list[str]:
    """The values each enum column of the models allows against what the database enforces.

    Autogenerate compares neither CHECK constraints nor a PostgreSQL enum's labels, so a state
    added to a model without a migration would pass it, and every write of the new state fail.
    An enum column with `create_constraint` needs a CHECK constraint named after the enum that
    lists exactly its values; a native enum on PostgreSQL, a type with exactly those labels.
    """
    differences = []
    with connected(url) as engine:
        inspector = inspect(engine)
        postgres = engine.dialect.name == "postgresql"
        labels = {e["name"]: set(e["labels"]) for e in inspector.get_enums()} if postgres else {}
        for table in SQLModel.metadata.sorted_tables:
            checks = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table.name)}
            for column in table.columns:
                kind = column.type
                if not isinstance(kind, Enum):
                    continue
                where = f"{table.name}.{column.name}"
                wanted = set(kind.enums)
                if kind.native_enum and postgres:
                    found = labels.get(kind.name or "")
                elif kind.create_constraint:
                    sql = checks.get(kind.name)
                    found = set(re.findall(r"'([^']*)'", sql)) if sql is not None else None
                else:
                    continue  # a plain VARCHAR: nothing in the database to compare
                if found is None:
                    differences.append(f"{where}: no constraint or type {kind.name!r}")
                elif found != wanted:
                    database, models = sorted(found), sorted(wanted)
                    differences.append(f"{where}: database {database}, models {models}")
    return differences


def schema_of(url: str) -> dict[str, Any]:
    """Everything the database says about its tables (and PostgreSQL's enum types), Alembic's
    own `alembic_version` aside, to compare one revision's schema with the same revision's
    after a downgrade."""
    with connected(url) as engine:
        inspector = inspect(engine)
        tables: dict[str, Any] = {}
        for name in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
            tables[name] = {
                "columns": [
                    (c["name"], repr(c["type"]), c["nullable"], c["default"])
                    for c in inspector.get_columns(name)
                ],
                "primary key": inspector.get_pk_constraint(name)["constrained_columns"],
                "foreign keys": sorted(
                    (tuple(f["constrained_columns"]), f["referred_table"])
                    for f in inspector.get_foreign_keys(name)
                ),
                "indexes": sorted(
                    (i["name"] or "", tuple(map(str, i["column_names"])), bool(i["unique"]))
                    for i in inspector.get_indexes(name)
                ),
                "unique": sorted(
                    tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)
                ),
                "checks": sorted(
                    (c["name"] or "", c["sqltext"]) for c in inspector.get_check_constraints(name)
                ),
            }
        enums = inspector.get_enums() if engine.dialect.name == "postgresql" else []
    return {"tables": tables, "enums": sorted((e["name"], tuple(e["labels"])) for e in enums)}


def revisions(url: str) -> list[str]:
    """Every revision, oldest first (one line of history: no branches)."""
    script = ScriptDirectory.from_config(alembic_config(url))
    assert len(script.get_heads()) == 1, script.get_heads()
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def table_names(url: str) -> set[str]:
    with connected(url) as engine:
        return set(inspect(engine).get_table_names())


def test_upgrade_matches_the_models(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    assert schema_differences(empty_database_url) == []
    assert enum_differences(empty_database_url) == []
    assert set(SQLModel.metadata.tables) <= table_names(empty_database_url)


def test_every_migration_goes_down_to_the_schema_before_it_and_up_again(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    history = revisions(url)
    assert history[0] == "0001" and len(history) >= 4
    built = {"base": schema_of(url)}
    for revision in history:
        upgrade(url, revision)
        built[revision] = schema_of(url)
    upgrade(url)  # at head already: nothing to do
    assert schema_of(url) == built[history[-1]]
    for revision, below in reversed(list(zip(history, ["base", *history[:-1]], strict=True))):
        downgrade(alembic_config(url), below)
        assert schema_of(url) == built[below], f"downgrade of {revision} to {below}"
    assert table_names(url) <= {"alembic_version"}
    assert built["base"] == {"tables": {}, "enums": []}
    upgrade(url)
    assert schema_of(url) == built[history[-1]]
    assert schema_differences(url) == [] and enum_differences(url) == []


def test_upgrade_keeps_existing_projects(empty_database_url: str) -> None:
    upgrade(empty_database_url, "0001")
    with connected(empty_database_url) as engine:
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
    assert (row.step, row.budget_nanousd, bool(row.paused)) == ("planning", 0, False)
    assert schema_differences(empty_database_url) == []
