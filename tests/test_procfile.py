"""The Procfile: on a platform, `web` listens on every interface at the platform's $PORT; run
by hand, the app stays on loopback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
STUB = '#!/bin/sh\necho "HOST=$HOST PORT=$PORT args=$*"\n'


def processes() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def run(command: str, tmp_path: Path, **env: str) -> str:
    """The command as a platform runs it (through a shell), the app replaced by a stub."""
    stub = tmp_path / "ai-orchestrator"
    stub.write_text(STUB)
    stub.chmod(0o755)
    path = f"{tmp_path}{os.pathsep}{os.environ['PATH']}"
    done = subprocess.run(
        ["sh", "-c", command], env={"PATH": path, **env}, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_the_processes() -> None:
    assert set(processes()) == {"release", "web", "worker"}


def test_web_listens_on_every_interface_at_the_platforms_port(tmp_path: Path) -> None:
    assert run(processes()["web"], tmp_path, PORT="5123") == "HOST=0.0.0.0 PORT=5123 args=web"


def test_a_host_the_platform_sets_is_kept(tmp_path: Path) -> None:
    web = processes()["web"]
    assert run(web, tmp_path, HOST="::", PORT="80") == "HOST=:: PORT=80 args=web"


def test_the_settings_read_the_port_and_default_to_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HOST", raising=False)
    monkeypatch.setenv("PORT", "5123")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.host, settings.port) == ("127.0.0.1", 5123)
