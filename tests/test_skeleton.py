"""The package skeleton: migrations apply, the CLI parses, settings fail in one line."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from bot.cli.main import main
from bot.settings import SettingsError, describe_error, load_settings


def test_malformed_port_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "eighty")
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    assert "PORT" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_partial_credentials_name_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_APP_ID", "123")
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    assert "GITHUB_WEBHOOK_SECRET" in str(caught.value)
    assert "GITHUB_PRIVATE_KEY" in str(caught.value)


def test_log_level_must_be_a_logging_level(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    assert str(caught.value) == (
        "invalid setting LOG_LEVEL: 'LOUD' is not a log level; use one of DEBUG, INFO, WARNING, "
        "ERROR, CRITICAL"
    )
    monkeypatch.setenv("LOG_LEVEL", "debug")
    assert load_settings(_env_file=None).log_level == "DEBUG"


def test_a_postgres_url_without_a_database_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # libpq would connect to the user's default database, and the app would migrate that.
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432")
    with pytest.raises(SettingsError, match=r"^invalid setting DATABASE_URL: names no database"):
        load_settings(_env_file=None)


def test_a_bad_value_inside_a_json_setting_names_the_setting_and_the_path() -> None:
    class Nested(BaseModel):
        prices: dict[str, int]

    with pytest.raises(ValidationError) as caught:
        Nested.model_validate({"prices": {"gpt-x": "lots"}})
    assert describe_error(caught.value).startswith("PRICES: gpt-x: Input should be a valid int")


def test_postgres_urls_are_accepted_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/app")
    assert load_settings(_env_file=None).database_url.startswith("postgres://")


def test_cli_reports_bad_setting_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    monkeypatch.chdir("/tmp")
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "DATABASE_URL" in err
