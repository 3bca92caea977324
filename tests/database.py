"""Fresh, migrated databases for tests: a SQLite file, or a PostgreSQL database per test.

The schema is built once per session into a template (a SQLite file, or a PostgreSQL template
database) by the Alembic migrations, as `ai-orchestrator db upgrade` builds it in production,
and each test gets a copy, so every test starts empty on the schema the app really runs on (a
migration that forgets a column fails the tests that use it). `tests/storage/test_migrations.py`
holds the migrations to the table models, and runs them down and up again, on both backends.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from storage.db import is_postgres, sync_url
from storage.migrate import upgrade


def create_schema(url: str) -> None:
    """The schema at the newest migration, built the way the app builds it."""
    upgrade(url)


def configured_url() -> str | None:
    """DATABASE_URL when it names PostgreSQL; SQLite tests need no setting."""
    url = os.environ.get("DATABASE_URL")
    return url if url and is_postgres(url) else None


def _admin_conninfo(url: str) -> str:
    parsed = make_url(sync_url(url))
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _with_database(url: str, name: str) -> str:
    return make_url(sync_url(url)).set(database=name).render_as_string(hide_password=False)


class PostgresDatabases:
    """Creates a migrated template database once, then a copy of it per test."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.template = f"aiorch_tpl_{uuid.uuid4().hex[:10]}"
        self._admin = _admin_conninfo(url)
        self._execute(f'CREATE DATABASE "{self.template}"')
        create_schema(_with_database(url, self.template))

    def _execute(self, sql: str) -> None:
        with psycopg.connect(self._admin, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    @contextmanager
    def fresh(self) -> Iterator[str]:
        name = f"aiorch_{uuid.uuid4().hex[:12]}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        try:
            yield _with_database(self.url, name)
        finally:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @contextmanager
    def empty(self) -> Iterator[str]:
        """A database with no tables at all, for migration tests."""
        name = f"aiorch_empty_{uuid.uuid4().hex[:12]}"
        self._execute(f'CREATE DATABASE "{name}"')
        try:
            yield _with_database(self.url, name)
        finally:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')


class SQLiteDatabases:
    """Migrates one template file, then copies it per test."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.template = directory / "template.db"
        create_schema(f"sqlite:///{self.template}")

    @contextmanager
    def fresh(self) -> Iterator[str]:
        path = self.directory / f"{uuid.uuid4().hex[:12]}.db"
        shutil.copyfile(self.template, path)
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    @contextmanager
    def empty(self) -> Iterator[str]:
        """A database with no tables at all, for migration tests."""
        path = self.directory / f"empty-{uuid.uuid4().hex[:12]}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            path.unlink(missing_ok=True)

    def close(self) -> None:
        self.template.unlink(missing_ok=True)
