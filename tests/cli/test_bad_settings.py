"""One clear line for every bad setting, and exit 2, from `serve`, `web`, `worker` and `doctor`
alike: each row of the issue's table, against settings that are otherwise good."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_httpx2 import HTTPXMock

from bot.cli.main import main
from tests.cli.conftest import APP_ENV, Started, free_port, set_env

API = "https://github.example.test/api/v3"
COMMANDS = ("serve", "web", "worker", "doctor")
SERVERS = ("serve", "web")


@dataclass(frozen=True)
class Row:
    """A mistake: the environment it sets (None unsets; `{tmp}` is the test's folder) and the
    words the one line must hold, beginning `invalid setting NAME: `."""

    id: str
    env: dict[str, str | None]
    words: tuple[str, ...]
    commands: tuple[str, ...] = COMMANDS

    def setting(self) -> str:
        return self.words[0]


ROWS = [
    Row(
        "key-path-missing",
        {"GITHUB_PRIVATE_KEY": None, "GITHUB_PRIVATE_KEY_PATH": "{tmp}/missing.pem"},
        ("invalid setting GITHUB_PRIVATE_KEY_PATH: ", "missing.pem does not exist"),
    ),
    Row(
        "key-path-directory",
        {"GITHUB_PRIVATE_KEY": None, "GITHUB_PRIVATE_KEY_PATH": "{tmp}"},
        ("invalid setting GITHUB_PRIVATE_KEY_PATH: ", "is a directory, not a key file"),
    ),
    Row(
        "key-garbage",
        {"GITHUB_PRIVATE_KEY": "garbage"},
        ("invalid setting GITHUB_PRIVATE_KEY: ", "the value is not a PEM private key"),
    ),
    Row(
        "key-path-text-file",
        {"GITHUB_PRIVATE_KEY": None, "GITHUB_PRIVATE_KEY_PATH": "{tmp}/notes.txt"},
        ("invalid setting GITHUB_PRIVATE_KEY_PATH: ", "notes.txt is not a PEM private key"),
    ),
    Row(
        "provider-unknown",
        {"AGENT_DEVELOPER_PROVIDER": "gemini"},
        ("invalid setting AGENT_DEVELOPER_PROVIDER: ", "'openai' or 'anthropic'"),
    ),
    Row(
        "model-prices-not-json",
        {"MODEL_PRICES": "{not-json"},
        ("invalid setting MODEL_PRICES: ", "not valid JSON"),
    ),
    Row(
        "model-prices-wrong-shape",
        {"MODEL_PRICES": '{"llama3": {"input": "0"}}'},
        ("invalid setting MODEL_PRICES: ", "llama3.output: Field required"),
    ),
    Row(
        "provider-model-mismatch",
        {"AGENT_DEVELOPER_PROVIDER": "openai", "AGENT_DEVELOPER_MODEL": "claude-sonnet-4-6"},
        (
            "invalid setting AGENT_DEVELOPER_MODEL: ",
            "claude-sonnet-4-6 is an anthropic model",
            "provider is openai (AGENT_DEVELOPER_PROVIDER)",
        ),
    ),
    Row(
        "log-level",
        {"LOG_LEVEL": "LOUD"},
        ("invalid setting LOG_LEVEL: ", "'LOUD' is not a log level", "DEBUG, INFO"),
    ),
    Row(
        "host-unresolvable",
        {"HOST": "999.1.1.1"},
        ("invalid setting HOST: ", "999.1.1.1 is not an address or a name that resolves"),
    ),
    # A worker listens on nothing, so an address that is not this machine's is the servers'
    # problem (and doctor's, which checks what they will bind).
    Row(
        "host-not-this-machine",
        {"HOST": "192.0.2.1"},  # TEST-NET-1: never a local address
        ("invalid setting HOST: ", "192.0.2.1 is not an address of this machine"),
        commands=("serve", "web", "doctor"),
    ),
    Row(
        "database-folder-missing",
        {"DATABASE_URL": "sqlite:///{tmp}/no/such/folder/app.db"},
        ("invalid setting DATABASE_URL: ", "folder", "no/such/folder does not exist"),
    ),
    Row(
        "postgres-not-running",
        {"DATABASE_URL": "postgresql://postgres@127.0.0.1:{closed}/app"},
        ("invalid setting DATABASE_URL: ", "cannot open postgresql://", "Connection refused"),
    ),
    Row(
        "postgres-no-database",
        {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432"},
        ("invalid setting DATABASE_URL: ", "names no database"),
    ),
]


def _expand(value: str, tmp: Path) -> str:
    return value.replace("{tmp}", str(tmp)).replace("{closed}", str(free_port()))


@pytest.fixture
def good_env(
    clean_env: pytest.MonkeyPatch, database_url: str, tmp_path: Path, no_start: None
) -> pytest.MonkeyPatch:
    """Settings every command accepts: an App with a real key, both providers' keys, a free
    port, a migrated database."""
    (tmp_path / "notes.txt").write_text("not a key\n")
    set_env(clean_env, APP_ENV)
    set_env(
        clean_env,
        {
            "GITHUB_API_URL": API,
            "OPENAI_API_KEY": "sk-test-openai-key-000000",
            "ANTHROPIC_API_KEY": "sk-ant-test-key-000000000",
            "DATABASE_URL": database_url,
            "PORT": str(free_port()),
            "LOG_FORMAT": "text",
        },
    )
    return clean_env


@pytest.fixture
def github(httpx2_mock: HTTPXMock) -> HTTPXMock:
    """GitHub's answers to doctor, optional: a key that fails the pre-flight never asks."""
    httpx2_mock.add_response(
        url=f"{API}/app", json={"slug": "orchestrator"}, is_optional=True, is_reusable=True
    )
    installations = [{"id": 1, "account": {"login": "octo-org"}}]
    httpx2_mock.add_response(
        url=re.compile(rf"{re.escape(API)}/app/installations.*"),
        json=installations,
        is_optional=True,
        is_reusable=True,
    )
    return httpx2_mock


def run(command: str) -> int:
    """The command as the console script runs it; Started means it passed its pre-flight."""
    try:
        return main([command])
    except Started:
        return -1


def _cases() -> list[object]:
    return [
        pytest.param(row, command, id=f"{row.id}-{command}")
        for row in ROWS
        for command in row.commands
    ]


@pytest.mark.parametrize(("row", "command"), _cases())
def test_a_bad_setting_is_one_line_and_exit_2(
    row: Row,
    command: str,
    good_env: pytest.MonkeyPatch,
    github: HTTPXMock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in row.env.items():
        if value is None:
            good_env.delenv(name)
        else:
            good_env.setenv(name, _expand(value, tmp_path))

    assert run(command) == 2

    out, err = capsys.readouterr()
    if command == "doctor":
        lines = [line for line in out.splitlines() if line.startswith("FAIL")]
        assert len(lines) == 1, out
        line = lines[0].split(": ", 1)[1]
    else:
        assert out == ""
        assert len(err.splitlines()) == 1, err
        line = err.removeprefix("ai-orchestrator: ").rstrip("\n")
    assert line.startswith(row.setting())
    assert all(word in line for word in row.words), line
    assert "Traceback" not in out + err


@pytest.mark.parametrize("command", COMMANDS)
def test_the_good_settings_pass_every_pre_flight(
    command: str,
    good_env: pytest.MonkeyPatch,
    github: HTTPXMock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The rows above differ from these settings by their one mistake."""
    assert run(command) == (0 if command == "doctor" else -1)
    out = capsys.readouterr().out
    if command == "doctor":
        assert [line for line in out.splitlines() if not line.startswith("ok")] == [], out
        assert [request.url.path for request in github.get_requests()] == [
            "/api/v3/app",
            "/api/v3/app/installations",
        ]


@pytest.mark.parametrize("command", SERVERS)
def test_a_taken_port_stops_a_server_before_migrations(
    command: str,
    good_env: pytest.MonkeyPatch,
    taken_port: int,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    database = tmp_path / "new.db"
    good_env.setenv("DATABASE_URL", f"sqlite:///{database}")
    good_env.setenv("PORT", str(taken_port))

    assert run(command) == 2

    err = capsys.readouterr().err
    expected = f"invalid setting PORT: {taken_port} is already in use on 127.0.0.1"
    assert err == f"ai-orchestrator: {expected}\n"
    assert not database.exists()  # no migration ran


def test_a_taken_port_is_only_a_warning_for_doctor_and_nothing_for_the_worker(
    good_env: pytest.MonkeyPatch,
    github: HTTPXMock,
    taken_port: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # doctor cannot tell the app itself, already running, from another program.
    good_env.setenv("PORT", str(taken_port))
    assert run("doctor") == 0
    out = capsys.readouterr().out
    assert f"warn  listen: 127.0.0.1:{taken_port} is in use; serve and web need it free" in out
    assert run("worker") == -1


def test_every_bad_setting_gets_its_line_at_once(
    good_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good_env.setenv("GITHUB_PRIVATE_KEY", "garbage")
    good_env.setenv("AGENT_GIT_MODEL", "llama3")
    good_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/gone/app.db")

    assert run("serve") == 2

    names = [line.split(":")[1].split()[-1] for line in capsys.readouterr().err.splitlines()]
    assert names == ["GITHUB_PRIVATE_KEY", "DATABASE_URL", "AGENT_GIT_MODEL"]


def test_setup_mode_still_checks_the_agents(
    good_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET"):
        good_env.delenv(name)
    good_env.setenv("AGENT_DEVELOPER_PROVIDER", "gemini")

    assert run("serve") == 2
    assert capsys.readouterr().err.startswith(
        "ai-orchestrator: invalid setting AGENT_DEVELOPER_PROVIDER: "
    )


def test_the_worker_needs_the_app(
    good_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET"):
        good_env.delenv(name)

    assert run("worker") == 2
    err = capsys.readouterr().err
    assert err.startswith("ai-orchestrator: invalid setting GITHUB_APP_ID: not set; the worker ")
    assert err.count("\n") == 1
