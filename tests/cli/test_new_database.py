"""Every command on a new database: one line saying it has no schema and which command creates
it (exit 3), never a traceback; `serve`/`web` migrate it, `db upgrade` says what it applied,
`doctor` says what is pending. On SQLite, and on PostgreSQL when DATABASE_URL names it."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.cli.main import build_parser, main
from storage.db import display_url, sqlite_file, sync_engine
from storage.migrate import head_revision, schema_state, upgrade
from tests.cli.conftest import APP_ENV, Started, free_port, set_env

# Every command that opens the database, with the arguments it needs.
READERS = {
    "deliveries": [],
    "cache info": [],
    "cache clear": ["--confirm"],
    "cache invalidate": ["project_micro_phases", "--confirm"],
    "cost": [],
    "audit": [],
    "prune": ["--dry-run"],
    "docs export": ["1"],
    "docs list-phases": ["1"],
    "docs view-plan": ["1"],
    "projects": [],
    "status": ["1"],
    "metrics": [],
    "replay": ["no-such-delivery"],
    "worker": [],
    "serve": [],  # with AUTO_MIGRATE=false, as `web`
    "web": [],
}
# The rest: they create the schema or report on it.
OTHERS = {"db upgrade", "doctor"}
NO_DATABASE = {"plugins"}  # never opens it
UPGRADE = "run `ai-orchestrator db upgrade`"
NO_SCHEMA = f"no schema yet ({UPGRADE} to create it)"


def leaf_commands(parser: argparse.ArgumentParser, prefix: str = "") -> set[str]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not actions:
        return {prefix.strip()}
    found: set[str] = set()
    for name, sub in actions[0].choices.items():
        found |= leaf_commands(sub, f"{prefix} {name}")
    return found


def test_the_lists_name_every_command() -> None:
    assert leaf_commands(build_parser()) == READERS.keys() | OTHERS | NO_DATABASE


@pytest.fixture
def new_database(clean_env: pytest.MonkeyPatch, empty_database_url: str, no_start: None) -> str:
    """An App, a free port, migrations off, and a database with no tables."""
    set_env(clean_env, APP_ENV)
    set_env(
        clean_env,
        {"DATABASE_URL": empty_database_url, "PORT": str(free_port()), "AUTO_MIGRATE": "false"},
    )
    return empty_database_url


def _unchanged(url: str) -> None:
    path = sqlite_file(url)
    assert path is None or not path.exists()  # a read created no SQLite file
    assert schema_state(url).current is None


@pytest.mark.parametrize("command", READERS)
def test_a_command_on_a_new_database_says_so_in_one_line(
    command: str, new_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command.split(), *READERS[command]]) == 3

    out, err = capsys.readouterr()
    assert out == ""
    url = display_url(new_database)
    assert err == f"ai-orchestrator: the database {url} is not ready: {NO_SCHEMA}\n"
    _unchanged(new_database)


def test_a_command_on_an_older_schema_names_the_pending_migrations(
    new_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    upgrade(new_database, "0002")
    pending = [m.revision for m in schema_state(new_database).pending]

    assert main(["cost"]) == 3
    assert capsys.readouterr().err.endswith(
        f"is not ready: at 0002; migrations pending: {', '.join(pending)} ({UPGRADE})\n"
    )
    assert pending[0] == "0003" and pending[-1] == head_revision()


def test_doctor_reports_the_schema(new_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["doctor"])
    assert f"FAIL  schema: {NO_SCHEMA}" in capsys.readouterr().out.splitlines()

    upgrade(new_database, "0003")
    assert main(["doctor"]) == 1
    pending = ", ".join(m.revision for m in schema_state(new_database).pending)
    expected = f"FAIL  schema: at 0003; migrations pending: {pending} ({UPGRADE})"
    assert expected in capsys.readouterr().out.splitlines()

    upgrade(new_database)
    main(["doctor"])
    assert f"ok    schema: at head {head_revision()}" in capsys.readouterr().out.splitlines()


def test_db_upgrade_says_which_revisions_it_applied(
    new_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    upgrade(new_database, "0003")

    assert main(["db", "upgrade"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("applied 0004: typed states")
    assert lines[-1] == f"database at head {head_revision()}"
    assert len(lines) == int(head_revision()) - 3 + 1

    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out == f"already at head {head_revision()}\n"


def test_db_upgrade_on_a_new_database_applies_every_revision(
    new_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "applied 0001: initial schema"
    assert [line.split(":")[0] for line in lines[:-1]] == [
        f"applied {n:04d}" for n in range(1, int(head_revision()) + 1)
    ]
    assert schema_state(new_database).at_head


def test_a_newer_schema_is_refused(new_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    upgrade(new_database)
    engine = sync_engine(new_database)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()

    for argv in (["db", "upgrade"], ["deliveries"]):
        assert main(argv) == 3
        err = capsys.readouterr().err
        assert err.endswith(
            "at revision 9999, which this release does not know "
            f"(its newest is {head_revision()}): upgrade ai-orchestrator\n"
        )


def test_serve_migrates_a_new_database_first(
    new_database: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AUTO_MIGRATE", "true")
    monkeypatch.setattr("bot.cli.app.configure_logging", lambda *args: None)

    def app_after_migrations(*args: object, **kwargs: object) -> None:
        raise Started

    monkeypatch.setattr("bot.cli.app.create_app", app_after_migrations)

    with caplog.at_level("INFO", logger="bot.cli.app"), pytest.raises(Started):
        main(["serve"])

    assert schema_state(new_database).at_head
    assert caplog.messages[0] == "applied migration 0001: initial schema"


def test_no_sqlite_file_is_left_by_a_mistyped_url(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/typo.db")
    assert main(["audit"]) == 3
    assert not (tmp_path / "typo.db").exists()
    assert "typo.db is not ready: no schema yet" in capsys.readouterr().err
