"""The dashboard in a real browser: sign-in through the fake GitHub's OAuth pages, what each
person sees and may do, live updates while a scripted project runs, and no console errors
under the CSP. Few and broad, as browser tests are slow: each drives one whole story."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page
from sqlmodel import col, select

from bot.actions import ACTION_JOB
from storage.audit import AuditEntry, Outcome
from storage.job_table import Job
from storage.projects import Project
from storage.states import UNFINISHED, PhaseState
from tests.web.dashboard.browser import (
    browser_page,
    keep_screenshot,
    needs_chromium,
    served_world,
    sign_in,
)
from tests.web.dashboard.helpers import seed_project

pytestmark = needs_chromium
SECRET_REPO = "octo-org/secret"
BEGUN = UNFINISHED - {PhaseState.PLANNED}  # what the retry button is shown for


async def post_form(page: Page, url: str, fields: dict[str, str | float | bool]) -> int:
    """A POST with the browser's own cookies, as a forged form on another tab would send."""
    response = await page.request.post(url, form=fields, max_redirects=0)
    return response.status


async def test_a_reader_sees_readable_projects_no_buttons_and_cannot_post(
    tmp_path: Path, database_url: str
) -> None:
    async with served_world(tmp_path, database_url) as served, browser_page() as (page, problems):
        served.fake.add_repo(SECRET_REPO, private=True)
        sessions = served.world.sessions
        mine = await seed_project(sessions, served.fake)
        hidden = await seed_project(sessions, served.fake, repo=SECRET_REPO, issue=9)
        await sign_in(page, served.url, served.fake, "reader")

        rows = page.locator("table.projects tbody tr[data-project]")
        assert await rows.count() == 1
        assert await rows.first.get_attribute("data-project") == str(mine)
        await page.goto(f"{served.url}/projects/{hidden}")
        assert await page.locator("h1").inner_text() == "Not found"
        assert problems == ["console error: Failed to load resource: the server responded "
                            "with a status of 404 (Not Found)"]  # fmt: skip
        problems.clear()  # that 404 was the point; what follows must log nothing

        await page.goto(f"{served.url}/projects/{mine}")
        assert await page.locator("table.phases tbody tr").count() == 2
        assert await page.locator("form[action$='/actions']").count() == 0
        token = await page.locator("input[name=csrf_token]").first.input_value()
        action = f"{served.url}/projects/{mine}/actions"
        assert await post_form(page, action, {"action": "abort"}) == 403  # no token
        forged: dict[str, str | float | bool] = {"csrf_token": token, "action": "abort"}
        assert await post_form(page, action, forged) == 403  # a reader may not act
        for path in ("/costs", "/cache", "/recommendations"):
            await page.goto(f"{served.url}{path}")
            assert await page.locator("svg.chart, section.recommendation, main p").count() > 0
        assert problems == []
        async with served.world.sessions() as session:
            assert not list(await session.exec(select(Job).where(Job.kind == ACTION_JOB)))


async def test_the_project_page_follows_the_run_and_a_writer_retries_a_phase(
    tmp_path: Path, database_url: str
) -> None:
    async with served_world(tmp_path, database_url) as served, browser_page() as (page, problems):
        world = served.world
        await world.label_issue()

        async def started() -> bool:
            async with world.sessions() as session:
                return (await session.exec(select(Project))).first() is not None

        await world.run_until(started)  # the project exists; its planning has not run
        await sign_in(page, served.url, served.fake, "writer")
        await page.click("table.projects a[href^='/projects/']")
        assert await page.locator("table.phases tbody tr[data-phase]").count() == 0
        await page.evaluate("window.notReloaded = true")

        async def first_merged() -> bool:
            phases = await world.phases()
            return bool(phases) and phases[0].state is PhaseState.MERGED

        async def second_began() -> bool:
            phases = await world.phases()
            return len(phases) > 1 and phases[1].state in BEGUN

        await world.run_until(first_merged)  # jobs run while the page is open
        await page.wait_for_selector("tr[data-phase='1'][data-state='merged']")
        assert await page.evaluate("window.notReloaded") is True  # updated in place
        assert await page.locator("button[data-action='retry:phase-1']").count() == 0

        await world.run_until(second_began)
        await page.click("button[data-action='retry:phase-2']")  # shown by the live update
        await page.wait_for_url("**/projects/*?queued=retry")
        async with world.sessions() as session:
            queued = list(await session.exec(select(Job).where(Job.kind == ACTION_JOB)))
        assert [(job.args.get("action"), job.args.get("argument")) for job in queued] == [
            ("retry", "phase-2")
        ]
        await world.settle()
        await page.wait_for_selector("table.audit code:has-text('/retry phase-2')")
        await page.reload()  # the plan, PR texts and documentation are outside the live part
        assert await page.locator(".markdown h2:has-text('Overview')").count() == 1
        await keep_screenshot(page, tmp_path, "dashboard-project.png")
        assert problems == []
        async with world.sessions() as session:  # before the app stops and its engine goes
            audit = list(await session.exec(select(AuditEntry).order_by(col(AuditEntry.id))))
        states = [p.state for p in await world.phases()]
    assert [(a.actor, a.command, a.argument, a.location, a.outcome) for a in audit][-1:] == [
        ("writer", "retry", "phase-2", "dashboard", Outcome.DONE)
    ]
    assert set(states) == {PhaseState.MERGED}  # phase 2 redone, then merged with the rest
    assert (tmp_path / "dashboard-project.png").stat().st_size > 10_000
