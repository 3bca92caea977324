"""An environment for running `ai-orchestrator` commands as an operator would: no setting of
the developer's shell or of CI leaks in, no `.env` is read, and nothing can start a server."""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from agents.settings import AgentSettings
from bot.settings import Settings
from tests.fakegithub.keys import session_key

# A registered App with a real key: what `worker` and `replay` need, and `doctor` checks.
APP_ENV = {
    "GITHUB_APP_ID": "4242",
    "GITHUB_PRIVATE_KEY": session_key("cli").private_pem,
    "GITHUB_WEBHOOK_SECRET": "webhook-secret",
}
SETTING_NAMES = sorted(
    {name.upper() for name in (*Settings.model_fields, *AgentSettings.model_fields)}
    | {"ENV_FILE_PATH"}
)


class Started(Exception):
    """A command got past its pre-flight and began to start (logging is its first step)."""


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No setting from outside the test, the working directory a fresh folder, no `.env`."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ENV_FILE_PATH", str(tmp_path / ".env"))
    return monkeypatch


def set_env(monkeypatch: pytest.MonkeyPatch, values: Mapping[str, str]) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def no_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve`, `web`, `worker` and `replay` raise Started where they would configure logging,
    so a pre-flight that wrongly passes fails the test instead of serving forever."""

    def refuse(*args: object) -> None:
        raise Started

    monkeypatch.setattr("bot.cli.app.configure_logging", refuse)


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
