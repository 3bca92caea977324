"""A scripted project through the real app on a world of its own: a fake GitHub whose
repository has files on `main` (`tests.basefiles`), a fresh database, the scripted model, and
the app's own jobs, webhooks and worker. The cache tests and `bench/llm_cost.py` use it.

    async with open_world(tmp, url, OneRevision(phases=3)) as first:
        await first.start()          # issue opened and labelled; runs to the end
        async with open_world(tmp, url2, OneRevision(phases=3)) as again:
            await copy_cache(first.sessions, again.sessions)
            await again.start()      # the same issue, answered by the cache

The second world is "the same issue again with the cache": a fresh repository with the same
files and the same issue, a fresh database holding only the first run's cache entries (the
same project id, 1, in both). The app has no command that reruns a finished project, so this
is the strictest form of what it does promise, a step run again with unchanged inputs costs
no model call (a job re-run after its worker died, `/retry` of a failed step): here every
step is run again, and every prompt must come out byte for byte the same.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
from sqlmodel import col, select

from agents.runtime import AgentRuntime, build_runtime
from agents.schemas import (
    CriterionCoverage,
    Edit,
    InlineComment,
    PhaseFiles,
    Review,
    Revision,
    Verdict,
)
from bot.deps import secret_values
from bot.settings import Settings
from storage.cache import CacheEntry
from storage.db import SessionMaker, transaction
from storage.ledger import LLMCall
from storage.projects import Project
from storage.workflow import Phase, project_phases
from tests.appfixtures import settings_for
from tests.apphelpers import RunningApp, running_app
from tests.basefiles import BASE_FILES
from tests.fakegithub import FakeGitHub, standard_world
from tests.fakegithub.openapi import load_spec
from tests.scriptedmodel import RecordedRequest, ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.scriptedmodel.runtime import FakeClock, agent_settings

REPO = "octo-org/hello-world"
INTEGRATION = "ai-orchestrator/issue-1"  # the integration branch of the first issue
OPTIONS_PATH = ".github/ai-orchestrator.yml"
# What a user would write for a project of up to 24 phases that starts without `/approve`:
# the default `max_phases` is 12, and with one revision per phase a 24-phase project runs
# about 170 jobs, over the default `max_jobs_per_hour` of 120 (which would defer the rest
# by an hour).
OPTIONS = "plan_approval: auto\nmax_phases: 24\nmax_jobs_per_hour: 1000\n"
ROUNDS = 1000  # of settling: a 24-phase project needs about 100
# The providers' rate limits would make the run wait like a real one; the scripted model
# answers at once, and what is measured is tokens and calls, not minutes.
UNLIMITED: dict[str, Any] = {
    f"{provider}_requests_per_{unit}": 1_000_000
    for provider in ("openai", "anthropic")
    for unit in ("minute", "hour")
}


def service_path(k: int) -> str:
    return f"app/feature{k}/service.py"


def first_line(k: int) -> str:
    """The first line of phase k's service module (`tests.scriptedmodel.project`)."""
    return f'"""Feature {k}: the service layer over Record{k}."""'


SORTED_NOTE = "# Results are sorted by id."


def failing_review(k: int) -> Review:
    return Review(
        verdict=Verdict.FAIL,
        summary=f"Phase {k} does not say how results are ordered.",
        critical_issues=["The service's docstring must state the order of results"],
        warnings=[],
        suggestions=[],
        criteria=[
            CriterionCoverage(
                criterion=f"Feature{k}Service answers every query sorted by id",
                met=False,
                note="the order is not documented",
            )
        ],
        compliance_score=55.0,
        comments=[InlineComment(path=service_path(k), line=1, body="Say results are sorted.")],
    )


@dataclass
class OneRevision(ScriptedProject):
    """Every phase is revised once, as most are: its first review fails with an inline
    comment, the developer's revision edits the service module, the second review passes.
    A phase written again (`/retry phase-k`) starts over: its next first review fails too."""

    reviewed: dict[int, int] = field(default_factory=dict)  # reviews by phase, this attempt

    def review_for(self, request: RecordedRequest) -> Review:
        k = int(request.phase or 0)
        self.reviewed[k] = self.reviewed.get(k, 0) + 1
        return failing_review(k) if self.reviewed[k] == 1 else self.review(k)

    def files_for(self, request: RecordedRequest) -> PhaseFiles:
        k = int(request.phase or 0)
        self.reviewed.pop(k, None)  # new code: its first review is a first one again
        return self.phase_files(k)

    def revision_for(self, request: RecordedRequest) -> Revision:
        k = int(request.phase or 0)
        edit = Edit(
            path=service_path(k), search=first_line(k), replace=f"{first_line(k)}\n{SORTED_NOTE}"
        )
        return Revision(summary="Documented the order.", edits=[edit], new_files=[], replies=[])

    def install(self, model: ScriptedModel) -> None:
        # The model tries a step's rules in order: these come before the project's own.
        model.script("developer.phase_files", self.files_for)
        model.script("validator.review", self.review_for)
        model.script("developer.revise", self.revision_for)
        super().install(model)


def agents_on(
    client: httpx2.AsyncClient, provider: str | None = None
) -> Callable[[Settings, SessionMaker], AgentRuntime]:
    """The app's agents on the scripted model: default roles, or every role on `provider`."""

    def factory(settings: Settings, sessions: SessionMaker) -> AgentRuntime:
        return build_runtime(
            agent_settings(provider, **UNLIMITED),
            sessions,
            http_client=client,
            secrets=secret_values(settings),
            clock=FakeClock(),  # the same time in every world: cache entries never expire
        )

    return factory


@dataclass
class World:
    fake: FakeGitHub
    model: ScriptedModel
    app: RunningApp
    issue: int = 0

    @property
    def sessions(self) -> SessionMaker:
        return self.app.runtime.sessions

    async def label_issue(self, *, title: str = "Back office for orders") -> int:
        """A person opens the issue, a writer labels it (the app has not run yet)."""
        _, opened = self.fake.person_opens_issue("octocat", title, "Orders, invoices, payments.")
        self.issue = int(opened["issue"]["number"])
        labelled = self.fake.person_labels_issue("writer", self.issue, "ai-orchestrator")
        await self.app.deliver(*labelled)
        return self.issue

    async def start(self, *, title: str = "Back office for orders") -> int:
        """The issue opened and labelled; runs until the app waits."""
        await self.label_issue(title=title)
        await self.settle()
        return self.issue

    def ci_running(self) -> bool:
        return any(run.stage != "completed" for run in self.fake.ci_runs())

    async def settle(self) -> None:
        """Runs the app until it waits for nothing, CI included: a build finishes when the
        app has nothing else to do (CI takes minutes; a person may comment meanwhile)."""
        for _ in range(ROUNDS):
            await self.app.settle(self.fake, rounds=ROUNDS)
            if not self.ci_running():
                return
            self.fake.ci_finish()
        raise AssertionError(f"the project did not settle in {ROUNDS} rounds")

    async def comment(self, body: str, *, login: str = "writer") -> None:
        """A person's comment on the issue; runs until the app waits."""
        await self.app.deliver(*self.fake.person_comments(login, self.issue, body))
        await self.settle()

    async def run_until(self, done: Callable[[], Awaitable[bool]]) -> None:
        """Runs job by job (delivering the app's own webhooks) until `done()`."""
        worker = self.app.worker()
        while not await done():
            ran = await worker.run_once()
            events, self.fake.outbox[:] = list(self.fake.outbox), []
            await self.app.deliver_all(events)
            if ran is None and not events:
                assert self.ci_running(), "the app stopped before the condition held"
                self.fake.ci_finish()

    async def project(self) -> Project:
        found = await self._project()
        assert found is not None, "no project yet"
        return found

    async def _project(self) -> Project | None:
        async with self.sessions() as session:
            return (await session.exec(select(Project))).one_or_none()

    async def phases(self) -> list[Phase]:
        """The project's phases (none before the project exists, or before its plan)."""
        project = await self._project()
        if project is None or project.id is None:
            return []
        async with self.sessions() as session:
            return await project_phases(session, project_id=project.id)

    async def ledger(self) -> list[LLMCall]:
        async with self.sessions() as session:
            return list(await session.exec(select(LLMCall).order_by(col(LLMCall.id))))


@asynccontextmanager
async def open_world(
    directory: Path,
    database_url: str,
    project: ScriptedProject,
    *,
    provider: str | None = None,
    options: str = OPTIONS,
) -> AsyncIterator[World]:
    """The app on a fake GitHub of its own, its repository's `main` holding `BASE_FILES` and
    the options file, GitHub Actions CI that passes (once the app is idle: see
    `World.settle`), the agents on a scripted model that
    answers `project`. `database_url` must name a fresh, migrated database."""
    fake = standard_world(FakeGitHub(load_spec()))
    fake.enable_ci(mode="manual")
    files = {**BASE_FILES, OPTIONS_PATH: options}
    fake.commit_files(fake.get_repo(REPO), "main", files, "The service so far")
    model = ScriptedModel()
    project.install(model)
    settings = settings_for(fake, database_url, directory / f".env-{id(fake)}")
    async with (
        httpx2.AsyncClient(transport=model.transport) as model_http,
        fake.client() as http,
        running_app(settings, http, agent_factory=agents_on(model_http, provider)) as app,
    ):
        yield World(fake, model, app)
    assert not fake.violations, fake.violations
    assert not model.unanswered, [request.step for request in model.unanswered]


async def copy_cache(source: SessionMaker, target: SessionMaker) -> int:
    """Copies every response-cache entry (ids aside) from one database to another; returns
    how many."""
    async with source() as session:
        entries = list(await session.exec(select(CacheEntry)))
    fields = [name for name in CacheEntry.model_fields if name != "id"]
    async with transaction(target) as session:
        for entry in entries:
            session.add(CacheEntry(**{name: getattr(entry, name) for name in fields}))
    return len(entries)


def prompt_tokens(row: LLMCall) -> int:
    """The whole prompt of a ledger row: uncached, cached and cache-write tokens."""
    return row.input_tokens + row.cached_input_tokens + row.cache_write_tokens


def model_rows(rows: list[LLMCall]) -> list[LLMCall]:
    """The rows of model calls (not the response cache's answers)."""
    return [row for row in rows if not row.cache_hit]
