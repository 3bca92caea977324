"""Schema migrations through Alembic, for `ai-orchestrator db upgrade` and for start-up, and the
schema's state (current revision against the newest) for `doctor` and every other command."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import DBAPIError

from storage.db import sqlite_file, sync_engine, sync_url, unavailable

MIGRATIONS = Path(__file__).parent / "migrations"


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


def upgrade(database_url: str, revision: str = "head") -> tuple[Migration, ...]:
    """Bring the database at `database_url` to `revision` (idempotent); the migrations it
    applied, oldest first. Raises DatabaseUnavailable when the database cannot be opened."""
    before = current_revision(database_url)  # opens the database: unreachable fails here
    command.upgrade(alembic_config(database_url), revision)
    after = current_revision(database_url)
    return () if after is None or after == before else _between(_scripts(), before, after)


def revision(database_url: str, message: str) -> None:
    """Autogenerate a migration from the difference between the tables and the database."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
