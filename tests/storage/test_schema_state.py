"""The schema's state against the newest migration, what an upgrade applied, and the checks that
a DATABASE_URL opens, none of which create a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.db import (
    DatabaseUnavailable,
    DatabaseURLError,
    async_url,
    check_reachable,
    display_url,
    sqlite_file,
)
from storage.migrate import head_revision, schema_state, upgrade


def test_a_new_database_has_every_migration_pending(empty_database_url: str) -> None:
    state = schema_state(empty_database_url)
    assert state.current is None and state.known and not state.at_head
    assert state.pending[0].revision == "0001"
    assert state.pending[-1].revision == state.head == head_revision()
    assert state.pending[0].title == "initial schema"
    path = sqlite_file(empty_database_url)
    assert path is None or not path.exists()


def test_upgrade_answers_what_it_applied(empty_database_url: str) -> None:
    applied = upgrade(empty_database_url, "0002")
    assert [m.revision for m in applied] == ["0001", "0002"]
    state = schema_state(empty_database_url)
    assert state.current == "0002"
    assert [m.revision for m in upgrade(empty_database_url)] == [m.revision for m in state.pending]
    assert upgrade(empty_database_url) == ()
    assert schema_state(empty_database_url).at_head


def test_a_migrated_database_is_at_head(database_url: str) -> None:
    state = schema_state(database_url)
    assert state.at_head and state.pending == ()


def test_a_sqlite_file_needs_an_existing_writable_folder(tmp_path: Path) -> None:
    check_reachable(f"sqlite:///{tmp_path}/new.db")
    assert not (tmp_path / "new.db").exists()
    with pytest.raises(DatabaseUnavailable, match=f"folder {tmp_path}/gone does not exist"):
        check_reachable(f"sqlite:///{tmp_path}/gone/new.db")
    (tmp_path / "file").write_text("")
    with pytest.raises(DatabaseUnavailable, match=f"folder {tmp_path}/file is not a folder"):
        check_reachable(f"sqlite:///{tmp_path}/file/new.db")


def test_a_file_that_is_not_a_database_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("not a database, but long enough to be read as one " * 20)
    with pytest.raises(DatabaseUnavailable, match="file is not a database"):
        schema_state(f"sqlite:///{tmp_path}/notes.db")


def test_a_postgres_server_that_is_not_there_is_one_line() -> None:
    with pytest.raises(DatabaseUnavailable) as caught:
        check_reachable("postgresql://app:s3cret@127.0.0.1:1/app")
    message = str(caught.value)
    assert message.startswith("cannot open postgresql://app:***@127.0.0.1:1/app: ")
    assert "Connection refused" in message and "\n" not in message and "s3cret" not in message


@pytest.mark.parametrize(
    "url", ["postgres://", "postgres://user@db.example", "postgresql://user@db.example:5432/"]
)
def test_a_postgres_url_must_name_its_database(url: str) -> None:
    with pytest.raises(DatabaseURLError, match="names no database"):
        async_url(url)


def test_a_postgres_database_may_be_named_in_the_query() -> None:
    assert async_url("postgresql://user@db.example/?dbname=app").startswith("postgresql+psycopg")


def test_display_url_masks_the_password() -> None:
    assert display_url("postgres://u:p%40ss@h/db") == "postgresql://u:***@h/db"
