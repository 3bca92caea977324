"""The package skeleton: migrations apply, the CLI parses, settings fail in one line."""

from __future__ import annotations

import pytest

from bot.cli.main import main
from bot.settings import SettingsError, load_settings


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
