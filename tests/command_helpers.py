"""Helpers for the slash-command tests: comments and their replies on the fake GitHub, the
audit rows, and a scripted model that lets a test act while a model call is in flight (a
comment arriving while a job of the project runs).

A test module uses the in-flight hook by importing the `model_http` and `in_flight` fixtures
from here (they replace the suite's `model_http` for that module).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

import httpx2
import pytest
from sqlmodel import col, select

from bot.commands.intake import COMMAND_JOB
from storage.audit import AuditEntry
from storage.jobs import Job
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.fakegithub.model import IssueComment
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.model import RecordedRequest
from tests.workflow_helpers import status_text

REPLY_MARK = "<!-- ai-orchestrator:command:{comment_id} -->"

Matcher = Callable[[RecordedRequest], bool]
Action = Callable[[], Awaitable[None]]


def shown(fake: FakeGitHub, number: int) -> str:
    """The status comment's text as a reader sees it (mentions are defused with an invisible
    space, which is taken out here)."""
    return status_text(fake, number).replace("\u200b", "")


def body_of(comment: IssueComment) -> str:
    """A comment's text without the app's hidden marker."""
    return comment.body.split("\n\n<!--")[0]


def said(fake: FakeGitHub, number: int, body: str) -> IssueComment:
    """The newest comment with this body on issue or pull request `number`."""
    return [c for c in fake.comments_on(number) if c.body == body][-1]


def replies_to(fake: FakeGitHub, number: int, comment: IssueComment) -> list[str]:
    """The app's replies to a comment (found by their marker), without the marker."""
    mark = REPLY_MARK.format(comment_id=comment.id)
    return [body_of(c) for c in fake.comments_on(number) if mark in c.body]


def reply_to(fake: FakeGitHub, number: int, body: str) -> str:
    """The one reply to the person's comment with this body."""
    [reply] = replies_to(fake, number, said(fake, number, body))
    return reply


def reactions(fake: FakeGitHub, number: int, body: str) -> list[str]:
    return [r.content for r in said(fake, number, body).reactions]


async def audit_rows(app: RunningApp) -> list[AuditEntry]:
    async with app.runtime.sessions() as session:
        return list((await session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))).all())


async def command_jobs(app: RunningApp) -> list[Job]:
    async with app.runtime.sessions() as session:
        return list((await session.exec(select(Job).where(Job.kind == COMMAND_JOB))).all())


def calls_by_phase(model: ScriptedModel, since: int = 0) -> list[tuple[str | None, int | None]]:
    """(step, phase) of each model request from index `since` on."""
    return [(r.step, r.phase) for r in model.requests[since:]]


async def deliver_now(app: RunningApp, event: tuple[str, dict[str, object]]) -> None:
    """A webhook arrives while a job runs: it is stored, and other workers handle what they
    can (its delivery job; the project's own jobs wait for the running one)."""
    await app.deliver(*event)
    worker = app.worker()
    while await worker.run_once() is not None:
        pass


@dataclass
class InFlight:
    """Actions run while a model request is in flight, each once, before it is answered."""

    hooks: list[tuple[Matcher, Action]] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)

    def when(self, matches: Matcher, action: Action) -> None:
        self.hooks.append((matches, action))

    async def run(self, request: RecordedRequest) -> None:
        for hook in list(self.hooks):
            matches, action = hook
            if matches(request):
                self.hooks.remove(hook)
                self.fired.append(f"{request.step}:{request.phase}")
                await action()


def step_is(step: str, phase: int | None = None) -> Matcher:
    return lambda request: request.step == step and (phase is None or request.phase == phase)


@pytest.fixture
def in_flight() -> InFlight:
    return InFlight()


@pytest.fixture
async def model_http(
    scripted_model: ScriptedModel, in_flight: InFlight
) -> AsyncIterator[httpx2.AsyncClient]:
    """The scripted model, with the test's in-flight actions run before each answer."""

    async def handle(request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        openai = request.url.path.endswith("/chat/completions")
        provider: Literal["openai", "anthropic"] = "openai" if openai else "anthropic"
        headers = {key.lower(): value for key, value in request.headers.items()}
        body = json.loads(request.content)
        await in_flight.run(RecordedRequest(provider, request.url.path, headers, body))
        return scripted_model.handle(request)

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handle)) as client:
        yield client
