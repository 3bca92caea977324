"""Chaos: a real worker process killed with SIGKILL right after each GitHub write of a phase.

The worker runs as `ai-orchestrator worker` in its own process (forked from
`tests/workflow/chaos_worker.py`), against the fake GitHub and the scripted model served over
HTTP from this test (`tests/served.py`); webhooks reach the app's web side in this process.
From the first write of the project until phase 1's pull request has merged, every GitHub
write the worker has not sent before is applied and then its worker is killed before the
answer arrives (the write is done, the worker never knows). The lease is then let run out and
a fresh worker takes the job up. Phase 1's first review fails and a person asks for a change
in its pull request, so revisions, replies and re-reviews are killed too; the plan-file step
and `/approve` are in the window.

A write is "sent before" when the same method, route and body were: a re-run repeating an
identical write passes, so each write is killed once. Since one job is killed at each of its
writes in turn, every job gets `ATTEMPTS` attempts rather than five; a kill that would still be its
job's last attempt is spared (a job killed on every attempt is a poison job, which `dead` is
for: `tests/workflow/test_poison.py`). The run must end with the final pull request and exactly
one of every artefact.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import httpx2
import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot.status.view import STEP_TEXT
from storage.db import transaction
from storage.jobs import Job, JobStatus
from storage.projects import Project
from storage.states import ProjectStep
from tests.appfixtures import scripted_agents, settings_for
from tests.apphelpers import RunningApp, running_app
from tests.fakegithub import FakeGitHub
from tests.fakegithub.fake import standard_world
from tests.fakegithub.openapi import OpenAPISpec
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.scriptedmodel.runtime import FakeClock
from tests.served import Handler, app_env, asgi, listening_socket, served, url_of
from tests.workflow.test_kills import REVISION
from tests.workflow.test_people import ASK
from tests.workflow.test_revisions import SERVICE, failing
from tests.workflow_helpers import (
    REPO,
    app_pulls,
    expire_leases,
    job_errors,
    phases_of,
    status_comments,
    status_text,
)

pytestmark = pytest.mark.slow

ASKS_APPROVAL = STEP_TEXT[ProjectStep.AWAITING_APPROVAL]

WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})
TOKENS = "/app/installations/{installation_id}/access_tokens"  # auth, not the project's writes
DEADLINE_SECONDS = 420
# Each job here is killed at every write it makes, so it gets the attempts for that: a
# deployment that restarts often would raise the limit the same way.
ATTEMPTS = 40
VALIDATOR = "ai-orchestrator/validator"


def _signature(request: httpx2.Request, template: str | None) -> tuple[str, str, str]:
    return request.method, template or request.url.path, hashlib.sha256(request.content).hexdigest()


@dataclass
class Workers:
    """The worker processes: one alive at a time, forked from the `chaos_worker` process."""

    forker: asyncio.subprocess.Process
    pid: int | None = None
    killed: list[tuple[str, str]] = field(default_factory=list)  # (method, route) per kill
    spared: list[tuple[str, str]] = field(default_factory=list)
    dying: bool = False

    async def start(self) -> None:
        assert self.forker.stdin is not None and self.forker.stdout is not None
        self.forker.stdin.write(b"fork\n")
        await self.forker.stdin.drain()
        self.pid = int((await self.forker.stdout.readline()).decode())
        self.dying = False

    async def kill(self, method: str, route: str) -> None:
        """SIGKILL, and back once the process is gone (it never reads another answer)."""
        assert self.pid is not None
        os.kill(self.pid, signal.SIGKILL)
        self.killed.append((method, route))
        self.dying = True
        while self.alive():
            await asyncio.sleep(0.005)

    def alive(self) -> bool:
        if self.pid is None:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self) -> None:
        if self.alive():
            assert self.pid is not None
            os.kill(self.pid, signal.SIGKILL)


@dataclass
class Chaos:
    """The kill rule, applied after the fake GitHub answered a worker's write."""

    app: RunningApp
    fake: FakeGitHub
    workers: Workers
    sent: set[tuple[str, str, str]] = field(default_factory=set)
    person_events: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    reviewed_by_person: bool = False

    closed: bool = False  # phase 1 merged before this request: no more kills

    def _phase_one_merged(self) -> bool:
        return any(p.merged for p in app_pulls(self.fake) if p.head_ref.endswith("/phase-1"))

    async def last_attempt(self) -> bool:
        async with self.app.runtime.sessions() as session:
            running = (
                await session.exec(select(Job).where(col(Job.status) == JobStatus.RUNNING))
            ).all()
        return any(job.attempts >= job.max_attempts - 1 for job in running)

    async def after(self, request: httpx2.Request, response: httpx2.Response) -> bool:
        """False: the worker was killed before its answer was sent."""
        template = self.fake.requests[-1].template
        self._person_reviews_phase_one()
        closed, self.closed = self.closed, self._phase_one_merged()  # the merge is in
        if request.method not in WRITES or not self.workers.alive() or self.workers.dying:
            return True
        signature = _signature(request, template)
        if signature in self.sent or template == TOKENS:
            return True
        self.sent.add(signature)
        if closed:
            return True
        if await self.last_attempt():
            self.workers.spared.append(signature[:2])
            return True
        await self.workers.kill(*signature[:2])
        return False

    def _person_reviews_phase_one(self) -> None:
        """As soon as phase 1's pull request exists, a writer asks for a change in it."""
        if self.reviewed_by_person:
            return
        pull = next((p for p in app_pulls(self.fake) if p.head_ref.endswith("/phase-1")), None)
        if pull is None:
            return
        self.reviewed_by_person = True
        comments = [{"path": SERVICE, "line": 1, "body": ASK}]
        events = self.fake.person_reviews(
            "writer", pull.number, "REQUEST_CHANGES", "One change.", comments=comments
        )
        self.person_events.extend(events)


@pytest.fixture
async def chaos_fake(github_spec: OpenAPISpec) -> AsyncIterator[tuple[FakeGitHub, object]]:
    sock = listening_socket()
    fake = standard_world(FakeGitHub(github_spec, api_url=url_of(sock)))
    fake.enable_ci()
    yield fake, sock
    assert not fake.violations, "the fake GitHub saw violations:\n" + "\n".join(fake.violations)


async def _forker(env: dict[str, str], cwd: Path, log: Path) -> asyncio.subprocess.Process:
    with log.open("wb") as output:  # the child has its own copy of the descriptor
        forker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.workflow.chaos_worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=output,
            env=env,
            cwd=cwd,
        )
    assert forker.stdout is not None
    assert (await asyncio.wait_for(forker.stdout.readline(), 120)).strip() == b"ready"
    return forker


async def _project(app: RunningApp) -> Project | None:
    """The project, once the intake job made it."""
    async with app.runtime.sessions() as session:
        return (await session.exec(select(Project))).one_or_none()


def _status(fake: FakeGitHub, project: Project) -> str:
    """The status comment's text, once there is one."""
    return (
        status_text(fake, project.issue_number)
        if status_comments(fake, project.issue_number)
        else ""
    )


async def _give_attempts(app: RunningApp) -> None:
    async with transaction(app.runtime.sessions) as session:
        unfinished = col(Job.status).in_([JobStatus.QUEUED, JobStatus.RUNNING])
        await session.exec(update(Job).where(unfinished).values(max_attempts=ATTEMPTS))


async def _finished(app: RunningApp) -> bool:
    project = await _project(app)
    if project is None or project.final_pr_number is None:
        return False
    async with app.runtime.sessions() as session:
        busy = (await session.exec(select(Job).where(col(Job.status) == JobStatus.RUNNING))).all()
    return not busy


async def _drive(app: RunningApp, chaos: Chaos) -> None:
    """Delivers webhooks, revives killed workers and approves the plan, until the end."""
    fake, workers = chaos.fake, chaos.workers
    loop = asyncio.get_running_loop()
    deadline, approved = loop.time() + DEADLINE_SECONDS, False
    while True:
        events = [*chaos.person_events, *fake.outbox]
        chaos.person_events.clear()
        fake.outbox.clear()
        await app.deliver_all(events)
        await _give_attempts(app)
        if not workers.alive():
            assert workers.dying, "a worker died without being killed (see the worker log)"
            await expire_leases(app)  # as if its lease had run out
            await workers.start()
        project = await _project(app)
        # A person approves when the status comment asks them to, not when the database says
        # the plan waits: a plan-file step killed before its comment edit must still ask.
        if project is not None and not approved and ASKS_APPROVAL in _status(fake, project):
            assert project.step == "awaiting_approval"
            approved = True
            number = project.issue_number
            chaos.person_events.append(fake.person_comments("writer", number, "/approve"))
        if not events and await _finished(app) and not fake.outbox:
            return
        if loop.time() > deadline:
            raise AssertionError(f"no final PR in time; jobs: {await job_errors(app)}")
        await asyncio.sleep(0.02)


def _assert_one_of_each(fake: FakeGitHub) -> None:
    repo = fake.get_repo(REPO)
    pulls = app_pulls(fake)
    heads = [p.head_ref for p in pulls]
    assert len(heads) == len(set(heads)) == 3, heads  # two phases and the final PR
    branches = {ref for ref in repo.refs if ref.startswith("refs/heads/ai-orchestrator/")}
    assert branches == {f"refs/heads/{head}" for head in heads}, branches
    # A thread reply makes GitHub add an empty review of its own: the validator's have text.
    reviews = Counter(
        (r.pull_number, r.commit_id)
        for r in repo.reviews.values()
        if r.user.login == fake.bot_login and r.body
    )
    assert reviews and max(reviews.values()) == 1, reviews  # one review per head reviewed
    runs = Counter(r.head_sha for r in repo.check_runs.values() if r.name == VALIDATOR)
    assert runs and max(runs.values()) == 1, runs  # one check run per head
    [asked] = [c for c in repo.review_comments.values() if c.body == ASK]
    replies = [c for c in repo.review_comments.values() if c.in_reply_to_id == asked.id]
    assert len(replies) == 1, [c.body for c in replies]


async def test_a_worker_killed_after_each_github_write_of_a_phase_still_delivers_once(
    chaos_fake: tuple[FakeGitHub, object],
    scripted_model: ScriptedModel,
    database_url: str,
    tmp_path: Path,
) -> None:
    fake, sock = chaos_fake
    model_sock = listening_socket()
    scripted_model.script("validator.review", failing(1), times=1)
    scripted_model.script("developer.revise", REVISION.model_copy(update={"replies": ["Done."]}))
    ScriptedProject(phases=2).install(scripted_model)
    settings = settings_for(fake, database_url, tmp_path / ".env")
    one_job = {"WORKER_CONCURRENCY": "1"}  # one job at a time: the job a kill lands in is known
    env = app_env(fake, database_url, url_of(model_sock), WORKER_POLL_SECONDS="0.05", **one_job)
    log = tmp_path / "workers.log"
    forker = await _forker(env, tmp_path, log)
    workers = Workers(forker)
    model_http = httpx2.AsyncClient(transport=httpx2.MockTransport(scripted_model.handle))
    agents = scripted_agents(model_http, FakeClock())  # the web side runs no agent
    async with (
        model_http,
        fake.client() as http,
        running_app(settings, http, agent_factory=agents) as app,
    ):
        chaos = Chaos(app, fake, workers)
        handler = cast(Handler, fake.transport.handler)  # the fake's handler is synchronous
        github = asgi(handler, after=chaos.after)
        model = asgi(scripted_model.handle)
        try:
            async with served(github, sock), served(model, model_sock):  # type: ignore[arg-type]
                _, opened = fake.person_opens_issue("octocat", "Orders", "Orders back office.")
                number = int(opened["issue"]["number"])
                await app.deliver(*fake.person_labels_issue("writer", number, "ai-orchestrator"))
                await workers.start()
                await _drive(app, chaos)
        finally:
            workers.stop()
            forker.kill()
            await forker.wait()
        failures = [e for e in await job_errors(app) if e[1] != "done"]
        assert failures == [], f"{failures}\nworkers' log:\n{log.read_text()[-3000:]}"
        _assert_one_of_each(fake)
        assert len(status_comments(fake, number)) == 1
        phases = await phases_of(app)
        assert [p.state for p in phases] == ["merged", "merged"]
        assert phases[0].revisions + phases[0].people_revisions >= 1  # it was revised
    killed = {route for _, route in workers.killed}
    for route in (
        "/repos/{owner}/{repo}/git/refs",
        "/repos/{owner}/{repo}/git/commits",
        "/repos/{owner}/{repo}/git/refs/{ref}",
        "/repos/{owner}/{repo}/pulls",
        "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
        "/repos/{owner}/{repo}/check-runs",
        "/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies",
        "/repos/{owner}/{repo}/issues/comments/{comment_id}",
        "/repos/{owner}/{repo}/pulls/{pull_number}/merge",
    ):
        assert route in killed, (route, workers.killed, workers.spared)
    assert len(workers.killed) >= 20 and not workers.spared, (workers.killed, workers.spared)
