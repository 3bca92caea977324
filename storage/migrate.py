"""Schema migrations through Alembic, for `ai-orchestrator db upgrade` and for start-up, and the
schema's state (current revision against the newest) for `doctor` and every other command.

On PostgreSQL every migrating process holds one advisory lock while it migrates: a deploy
starts its `release` line and every `web` at once, and Alembic alone would run the same DDL in
each (all but one failing on PostgreSQL's catalog). With the lock, one migrates, the others
wait for it and then find the schema at head.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import DBAPIError

from storage.db import is_postgres, sqlite_file, sync_engine, sync_url, unavailable

MIGRATIONS = Path(__file__).parent / "migrations"
# The one-key (64-bit) advisory lock of migrating. That key space does not overlap the
# two-key locks the job claim takes (storage/job_claim.py).
MIGRATION_LOCK = int.from_bytes(b"aiorchmg", "big")


@dataclass(frozen=True)
class Migration:
    revision: str
    title: str  # the first line of the migration's docstring


@dataclass(frozen=True)
class SchemaState:
    current: str | None  # None: no schema at all
    head: str
    pending: tuple[Migration, ...]  # oldest first
    known: bool  # False: a newer release migrated this database past what this one knows

    @property
    def at_head(self) -> bool:
        return self.current == self.head


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # '%' is ConfigParser interpolation syntax; a password may contain it.
    config.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return config


def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def current_revision(database_url: str) -> str | None:
    """The revision the database is at; None when it has no schema. A SQLite file that does not
    exist is not created. Raises DatabaseUnavailable when the database cannot be opened."""
    path = sqlite_file(database_url)
    if path is not None and not path.exists():
        return None
    engine = sync_engine(database_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except DBAPIError as exc:
        raise unavailable(database_url, exc) from None
    finally:
        engine.dispose()


def _between(scripts: ScriptDirectory, lower: str | None, upper: str) -> tuple[Migration, ...]:
    """The migrations after `lower` up to and including `upper`, oldest first."""
    steps = scripts.iterate_revisions(upper, lower or "base")
    found = [Migration(step.revision, _title(step.doc)) for step in steps if step is not None]
    return tuple(reversed(found))


def _title(doc: str | None) -> str:
    return next(iter((doc or "").strip().splitlines()), "")


def head_revision() -> str:
    """The newest revision this release ships."""
    head = _scripts().get_current_head()
    assert head is not None  # the package ships its migrations
    return head


def schema_state(database_url: str) -> SchemaState:
    scripts, head = _scripts(), head_revision()
    current = current_revision(database_url)
    known = current is None or current in {s.revision for s in scripts.walk_revisions()}
    pending = _between(scripts, current, head) if known else ()
    return SchemaState(current=current, head=head, pending=pending, known=known)


@contextmanager
def migration_lock(database_url: str) -> Iterator[None]:
    """Holds PostgreSQL's migration lock (waiting for whoever holds it); nothing on SQLite,
    where one process serves. Raises DatabaseUnavailable when the database cannot be opened."""
    if not is_postgres(database_url):
        yield
        return
    engine = sync_engine(database_url)
    try:
        with _locked(engine, database_url):
            yield
    finally:
        engine.dispose()


def _locked(engine: Engine, database_url: str) -> Connection:
    """A connection whose session holds the lock (closing it, with no pool, releases it
    however the migration ended)."""
    try:
        conn = engine.connect()
    except DBAPIError as exc:
        raise unavailable(database_url, exc) from None
    try:
        conn.execute(select(func.pg_advisory_lock(MIGRATION_LOCK)))
        conn.commit()  # a session-level lock outlives the transaction that took it
    except BaseException:
        conn.close()
        raise
    return conn


def upgrade(database_url: str, revision: str = "head") -> tuple[Migration, ...]:
    """Bring the database at `database_url` to `revision` (idempotent); the migrations it
    applied, oldest first. Raises DatabaseUnavailable when the database cannot be opened."""
    with migration_lock(database_url):
        before = current_revision(database_url)  # read under the lock: what this one applies
        command.upgrade(alembic_config(database_url), revision)
        after = current_revision(database_url)
    return () if after is None or after == before else _between(_scripts(), before, after)


def revision(database_url: str, message: str) -> None:
    """Autogenerate a migration from the difference between the tables and the database."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
