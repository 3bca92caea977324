"""Writing settings into `.env`: other lines kept, our keys replaced, mode 0600, atomic."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest
from dotenv import dotenv_values

from bot.envfile import merge_env, update_env_file, write_private_file


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_merge_replaces_our_keys_in_place_and_keeps_every_other_line() -> None:
    text = (
        "# deployment settings\n"
        "DATABASE_URL=postgres://db/app  # the main database\n"
        "export github_app_id=1\n"
        "MULTI='line one\nline two'\n"
        'GITHUB_PRIVATE_KEY="-----BEGIN..."\n'
        "GITHUB_APP_ID=2\n"
        "\n"
        "LAST=kept"
    )

    merged = merge_env(
        text, {"GITHUB_APP_ID": "42", "GITHUB_CLIENT_ID": "Iv1.abc"}, remove=["GITHUB_PRIVATE_KEY"]
    )

    assert merged == (
        "# deployment settings\n"
        "DATABASE_URL=postgres://db/app  # the main database\n"
        "GITHUB_APP_ID=42\n"
        "MULTI='line one\nline two'\n"
        "\n"
        "LAST=kept\n"
        "GITHUB_CLIENT_ID=Iv1.abc\n"
    )


@pytest.mark.parametrize(
    "value",
    ["plain", "with space", "quote ' and \\ backslash", "#hash", "$HOME", "{x}", 'd"q', "a\nb"],
)
def test_merged_values_read_back_exactly_as_written(value: str) -> None:
    # dotenv_values interpolates ${...}, as pydantic-settings reads the file with it.
    merged = merge_env("OTHER=1\n", {"KEY": value})

    assert dotenv_values(stream=io.StringIO(merged)) == {
        "OTHER": "1",
        "KEY": value,
    }


def test_a_value_dotenv_would_expand_is_refused_naming_only_the_key() -> None:
    with pytest.raises(ValueError, match=r"^SECRET: .*'\$\{'") as caught:
        merge_env("", {"SECRET": "abc${HOME}def"})

    assert "abc" not in str(caught.value)


def test_update_creates_the_file_mode_0600(tmp_path: Path) -> None:
    env = tmp_path / ".env"

    update_env_file(env, {"A": "1"})

    assert env.read_text() == "A=1\n"
    assert mode(env) == 0o600


def test_update_narrows_an_existing_file_to_0600(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("KEEP=yes\nA=old\n")
    env.chmod(0o644)

    update_env_file(env, {"A": "new"})

    assert env.read_text() == "KEEP=yes\nA=new\n"
    assert mode(env) == 0o600


def test_update_through_a_symlink_changes_the_real_file(tmp_path: Path) -> None:
    real = tmp_path / "config" / "app.env"
    real.parent.mkdir()
    real.write_text("KEEP=yes\n")
    link = tmp_path / ".env"
    link.symlink_to(real)

    update_env_file(link, {"A": "1"})

    assert link.is_symlink()
    assert real.read_text() == "KEEP=yes\nA=1\n"


def test_private_file_leaves_no_temporary_behind(tmp_path: Path) -> None:
    key = tmp_path / "key.pem"

    write_private_file(key, "secret")
    write_private_file(key, "secret 2")

    assert key.read_text() == "secret 2"
    assert mode(key) == 0o600
    assert [path.name for path in tmp_path.iterdir()] == ["key.pem"]


def test_a_failed_write_keeps_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = tmp_path / ".env"
    env.write_text("A=old\n")

    def refuse(source: str, target: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        update_env_file(env, {"A": "new"})

    assert env.read_text() == "A=old\n"
    assert [path.name for path in tmp_path.iterdir()] == [".env"]
