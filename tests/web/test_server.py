"""The server's start-up line: in setup mode, where to open the setup page, once bound."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
import uvicorn

from bot.settings import Settings
from bot.web.app import create_app
from bot.web.server import SETUP_LINE, Server, setup_url
from tests.fakegithub import FakeGitHub


@pytest.mark.parametrize(
    ("bound", "public_url", "url"),
    [
        ([("127.0.0.1", 8000)], None, "http://127.0.0.1:8000/"),
        ([("0.0.0.0", 8123)], None, "http://127.0.0.1:8123/"),
        ([("::", 8123, 0, 0), ("0.0.0.0", 8123)], None, "http://[::1]:8123/"),
        ([("::1", 9, 0, 0)], None, "http://[::1]:9/"),
        (
            [("0.0.0.0", 80)],
            "https://bot.example.com",
            "http://127.0.0.1:80/ (or https://bot.example.com/)",
        ),
        (["/run/orchestrator.sock"], "https://bot.example.com", "https://bot.example.com/"),
        (["/run/orchestrator.sock"], None, None),
    ],
)
def test_the_setup_url_is_one_a_browser_can_open(
    bound: list[object], public_url: str | None, url: str | None
) -> None:
    assert setup_url(bound, public_url) == url


async def started_lines(
    settings: Settings, fake: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> tuple[list[str], int]:
    """Start the real server on a free port, stop it; the lines it logged and the port."""
    caplog.set_level(logging.INFO, logger="bot.web.server")
    async with fake.client() as http:
        app = create_app(settings, http=http)
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on")
        server = Server(config, app)
        task = asyncio.create_task(server.serve())
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.01)
        port = int(server.servers[0].sockets[0].getsockname()[1])
        server.should_exit = True
        await task
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.web.server"]
    return lines, port


async def test_in_setup_mode_the_server_says_once_where_to_open_the_setup_page(
    fake_github: FakeGitHub, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        github_api_url=fake_github.api_url,
        env_file_path=tmp_path / ".env",
    )

    lines, port = await started_lines(settings, fake_github, caplog)

    assert port != 0
    assert lines == [SETUP_LINE.format(url=f"http://127.0.0.1:{port}/")]
    assert lines[0] == f"setup mode: open http://127.0.0.1:{port}/ to register the GitHub App"


async def test_a_configured_server_says_nothing_of_setup(
    app_settings: Settings, fake_github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    lines, _ = await started_lines(app_settings, fake_github, caplog)

    assert lines == []
