"""Helpers for the slash-command tests: comments and their replies on the fake GitHub, the
audit rows, the model calls by step and phase, and a webhook delivered while a job runs (with
the suite's `in_flight` fixture, `tests.scriptedmodel.inflight`).
"""

from __future__ import annotations

from sqlmodel import col, select

from bot.commands.intake import COMMAND_JOB
from storage.audit import AuditEntry
from storage.jobs import Job
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.fakegithub.model import IssueComment
from tests.workflow_helpers import status_text

REPLY_MARK = "<!-- ai-orchestrator:command:{comment_id} -->"


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


async def deliver_now(app: RunningApp, event: tuple[str, dict[str, object]]) -> None:
    """A webhook arrives while a job runs: it is stored, and other workers handle what they
    can (its delivery job; the project's own jobs wait for the running one)."""
    await app.deliver(*event)
    worker = app.worker()
    while await worker.run_once() is not None:
        pass
