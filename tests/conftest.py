"""Fixtures shared by the whole suite: a migrated database per test on SQLite or PostgreSQL."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from agents import redact
from storage.db import SessionMaker, make_engine, make_sessionmaker
from tests.appfixtures import app, app_settings, unconfigured_app, workflow_app
from tests.database import PostgresDatabases, SQLiteDatabases, configured_url
from tests.fakegithub.fixtures import fake_github, gh, github_app, github_sleeps, github_spec
from tests.scriptedmodel.fixtures import (
    agent_runtime,
    clock,
    in_flight,
    make_runtime,
    model_http,
    scripted_model,
)

# Fixtures defined in their own modules, shared by the whole suite.
__all__ = [
    "agent_runtime",
    "app",
    "app_settings",
    "clock",
    "fake_github",
    "gh",
    "github_app",
    "github_sleeps",
    "github_spec",
    "in_flight",
    "make_runtime",
    "model_http",
    "scripted_model",
    "unconfigured_app",
    "workflow_app",
]


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("REQUIRE_POSTGRES") and configured_url() is None:
        raise pytest.UsageError("REQUIRE_POSTGRES is set but DATABASE_URL does not name PostgreSQL")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if configured_url() is not None:
        return
    skip = pytest.mark.skip(reason="needs DATABASE_URL naming PostgreSQL")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _own_secret_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no registered secret: one test's values are no other's words."""
    monkeypatch.setattr(redact, "SECRETS", redact.SecretRegistry())


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    """CLI commands configure logging for the process; undo it after each test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(scope="session")
def _databases(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[PostgresDatabases | SQLiteDatabases]:
    url = configured_url()
    databases: PostgresDatabases | SQLiteDatabases
    if url is not None:
        databases = PostgresDatabases(url)
    else:
        databases = SQLiteDatabases(tmp_path_factory.mktemp("sqlite"))
    yield databases
    databases.close()


@pytest.fixture
def database_url(_databases: PostgresDatabases | SQLiteDatabases) -> Iterator[str]:
    """The URL of a fresh, migrated, empty database for this test."""
    with _databases.fresh() as url:
        yield url


@pytest.fixture
def empty_database_url(_databases: PostgresDatabases | SQLiteDatabases) -> Iterator[str]:
    """The URL of a database with no tables, for migration tests."""
    with _databases.empty() as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> SessionMaker:
    return make_sessionmaker(engine)
