"""The dashboard in real headless Chromium (Playwright, Debian's `chromium`), the app and
the fake GitHub's web host (its OAuth pages) served over real HTTP in the test's loop.

    async with served_world(tmp_path, database_url) as world:   # app + fake, on sockets
        async with browser_page() as (page, problems): ...

`problems` collects console errors, page errors and CSP violations: a page that breaks under
the CSP shows up there, not as a missing feature.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
from playwright.async_api import ConsoleMessage, Page, async_playwright

from tests.apphelpers import running_app
from tests.basefiles import BASE_FILES
from tests.fakegithub import FakeGitHub, standard_world
from tests.fakegithub.openapi import load_spec
from tests.projectworld import OPTIONS, OPTIONS_PATH, REPO, OneRevision, World, agents_on
from tests.scriptedmodel import ScriptedModel
from tests.served import asgi, listening_socket, served, url_of
from tests.web.dashboard.helpers import dashboard_settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Set to a folder to keep the project page's screenshot there too (the README's picture).
SCREENSHOT_ENV = "DASHBOARD_SCREENSHOT_DIR"
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (.ci/run installs it)",
)


@dataclass
class ServedWorld:
    world: World
    url: str  # the app's address

    @property
    def fake(self) -> FakeGitHub:
        return self.world.fake


@asynccontextmanager
async def served_world(directory: Path, database_url: str) -> AsyncIterator[ServedWorld]:
    """A scripted three-phase project's world (`tests.projectworld`) whose app and fake web
    host listen on local ports; "writer" is signed in at the fake github.com."""
    app_sock, web_sock = listening_socket(), listening_socket()
    fake = standard_world(FakeGitHub(load_spec(), web_url=url_of(web_sock)))
    fake.enable_ci(mode="manual")
    fake.commit_files(fake.get_repo(REPO), "main", {**BASE_FILES, OPTIONS_PATH: OPTIONS}, "Base")
    model = ScriptedModel()
    OneRevision(phases=3).install(model)
    settings = dashboard_settings(
        fake, database_url, directory / ".env", public_url=url_of(app_sock)
    )
    async with (
        httpx2.AsyncClient(transport=model.transport) as model_http,
        fake.client() as http,
        running_app(settings, http, agent_factory=agents_on(model_http)) as app,
        served(asgi(fake.transport.handler), web_sock),  # type: ignore[arg-type]
        served(app.app, app_sock) as url,  # the lifespan runs already: `served` skips it
    ):
        yield ServedWorld(World(fake, model, app), url)
    assert not fake.violations, fake.violations


def _on_console(problems: list[str]) -> Callable[[ConsoleMessage], None]:
    def record(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(f"console {message.type}: {message.text}")

    return record


@asynccontextmanager
async def browser_page() -> AsyncIterator[tuple[Page, list[str]]]:
    problems: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(20_000)
            page.on("console", _on_console(problems))
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            yield page, problems
        finally:
            await browser.close()


async def sign_in(page: Page, base: str, fake: FakeGitHub, login: str) -> None:
    """Through the front door's link, GitHub's authorize page and the callback."""
    fake.sign_in_web(login)
    await page.goto(f"{base}/")
    await page.click("#sign-in")
    await page.wait_for_url(f"{base}/projects")


async def keep_screenshot(page: Page, directory: Path, name: str) -> Path:
    """A full-page screenshot under `directory`, copied to $DASHBOARD_SCREENSHOT_DIR too."""
    path = directory / name
    await page.screenshot(path=str(path), full_page=True)
    target = os.environ.get(SCREENSHOT_ENV)
    if target:
        shutil.copyfile(path, Path(target) / name)
    return path
