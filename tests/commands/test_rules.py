"""The rules every command follows: who may run what, one reply per comment, 👀 for accepted
commands, bots' and edited or deleted comments ignored, a comment delivered twice run once, a
command waiting for the project's running job, and the read-only commands' answers."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col

from bot.commands.base import NO_SUCH_PHASE
from bot.commands.control import PAUSED
from bot.commands.info import COST_HEADING, PLAN_HEADING
from bot.commands.table import COMMANDS, HELP_INTRO, NOT_ALLOWED, UNKNOWN
from bot.status.options import with_options
from bot.status.view import plan_url
from storage.audit import Outcome
from storage.costs import cost_report
from storage.db import transaction
from storage.jobs import Job, JobStatus
from storage.money import format_usd
from tests.apphelpers import RunningApp
from tests.command_helpers import (
    audit_rows,
    body_of,
    command_jobs,
    deliver_now,
    reactions,
    replies_to,
    reply_to,
    said,
)
from tests.fakegithub import FakeGitHub
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.inflight import InFlight, step_is
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow_helpers import (
    AUTO,
    comment,
    project_of,
    set_options,
    start_project,
    status_comments,
)


async def finished_project(app: RunningApp, fake: FakeGitHub, model: ScriptedModel) -> int:
    set_options(fake, AUTO)
    ScriptedProject(phases=2).install(model)
    return await start_project(app, fake)


async def test_people_without_write_permission_are_refused_and_nothing_happens(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)  # waits for plan approval
    for login, body in [("reader", "/approve"), ("triager", "/pause"), ("outsider", "/abort")]:
        event, payload = fake_github.person_comments(login, number, body)
        payload["comment"]["author_association"] = "CONTRIBUTOR"  # not what decides
        await workflow_app.deliver(event, payload)
        await workflow_app.settle(fake_github)
        assert reply_to(fake_github, number, body) == NOT_ALLOWED.format(user=login)
        assert reactions(fake_github, number, body) == []
    project = await project_of(workflow_app)
    assert project.status.value == "awaiting_approval" and not project.paused
    assert await audit_rows(workflow_app) == [] and await command_jobs(workflow_app) == []
    assert scripted_model.calls("developer.phase_files") == []


async def test_anyone_may_read_status_plan_cost_and_help(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    number = await finished_project(workflow_app, fake_github, scripted_model)
    project = await project_of(workflow_app)
    for login, body in [
        ("reader", "/status"),
        ("outsider", "/plan"),
        ("reader", "/cost"),
        ("outsider", "/HELP"),
    ]:
        await comment(workflow_app, fake_github, login, number, body)
        assert reactions(fake_github, number, body) == ["eyes"]
    [status] = status_comments(fake_github, number)
    status_reply = reply_to(fake_github, number, "/status")  # the comment, then the options
    assert status_reply == with_options(body_of(status), project.options)
    assert status_reply.startswith(body_of(status).rstrip() + "\n\n#### Options")
    plan = reply_to(fake_github, number, "/plan")
    link = plan_url(project, workflow_app.settings.github_web_url)
    assert plan.startswith(PLAN_HEADING) and f"]({link})" in plan
    assert "1. **Feature 1: " in plan and "2. **Feature 2: " in plan and "(after 1)" in plan
    cost = reply_to(fake_github, number, "/cost")
    async with workflow_app.runtime.sessions() as session:
        report = await cost_report(session, project_id=project.id)
    assert (
        cost.startswith(COST_HEADING) and f"**Total:** {format_usd(report.total_nanousd)}" in cost
    )
    assert "| developer | 1 | 1 | 0 |" in cost and "| validator | 2 | 1 | 0 |" in cost
    assert "| manager | plan |" in cost and "| integration | plan | 1 |" in cost
    help_text = reply_to(fake_github, number, "/HELP")
    assert help_text.startswith(HELP_INTRO)
    assert all(f"| `{usage}` |" in help_text for s in COMMANDS.values() for usage, _ in s.rows)
    rows = [(r.actor, r.command, r.outcome) for r in await audit_rows(workflow_app)]
    assert rows == [
        ("reader", "status", Outcome.DONE),
        ("outsider", "plan", Outcome.DONE),
        ("reader", "cost", Outcome.DONE),
        ("outsider", "help", Outcome.DONE),
    ]


async def test_commands_on_the_final_pull_request_are_answered_there(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    await finished_project(workflow_app, fake_github, scripted_model)
    final = (await project_of(workflow_app)).final_pr_number
    assert final is not None
    await comment(workflow_app, fake_github, "reader", final, "/cost")
    assert reply_to(fake_github, final, "/cost").startswith(COST_HEADING)
    assert reactions(fake_github, final, "/cost") == ["eyes"]
    [row] = await audit_rows(workflow_app)
    assert (row.command, row.location) == ("cost", f"pull request #{final}")


async def test_one_reply_answers_every_command_of_a_comment_in_order(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    number = await finished_project(workflow_app, fake_github, scripted_model)
    body = "Two things:\n/frobnicate now\n/skip phase-9\n/cost"
    await comment(workflow_app, fake_github, "writer", number, body)
    [reply] = replies_to(fake_github, number, said(fake_github, number, body))
    known = ", ".join(f"`/{name}`" for name in COMMANDS)
    parts = reply.split("\n\n---\n\n")
    assert parts[0] == "**/frobnicate now**\n\n" + UNKNOWN.format(
        user="writer", name="frobnicate", known=known
    )
    no_phase = NO_SUCH_PHASE.format(
        user="writer", name="`phase-9`", phases="1 (merged), 2 (merged)"
    )
    assert parts[1] == "**/skip phase-9**\n\n" + no_phase
    assert parts[2].startswith("**/cost**\n\n" + COST_HEADING)
    assert reactions(fake_github, number, body) == ["eyes"]
    rows = [(r.command, r.argument, r.outcome) for r in await audit_rows(workflow_app)]
    assert rows == [("skip", "phase-9", Outcome.REFUSED), ("cost", "", Outcome.DONE)]
    # a reader's mixed comment: what anyone may run is answered, the rest refused
    await comment(workflow_app, fake_github, "reader", number, "/status\n/abort")
    reply = reply_to(fake_github, number, "/status\n/abort")
    assert reply.endswith("**/abort**\n\n" + NOT_ALLOWED.format(user="reader"))
    assert (await project_of(workflow_app)).status.value == "done"
    assert [r.command for r in await audit_rows(workflow_app)][-1] == "status"


async def test_bots_edited_and_deleted_comments_are_ignored(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    number = await finished_project(workflow_app, fake_github, scripted_model)
    fake_github.add_user("renovate[bot]", type="Bot")
    await comment(workflow_app, fake_github, "renovate[bot]", number, "/pause")
    _, created = fake_github.person_comments("writer", number, "Nothing to do here.")
    edited = fake_github.person_edits_comment("writer", created["comment"]["id"], "/pause")
    await workflow_app.deliver(*edited)
    deleted = {**edited[1], "action": "deleted"}
    deleted.pop("changes")
    await workflow_app.deliver("issue_comment", deleted)
    await workflow_app.settle(fake_github)
    ignored = [c for c in fake_github.comments_on(number) if c.body == "/pause"]
    assert [c.user.login for c in ignored] == ["renovate[bot]", "writer"]
    for asked in ignored:
        assert asked.reactions == [] and replies_to(fake_github, number, asked) == []
    assert not (await project_of(workflow_app)).paused
    assert await audit_rows(workflow_app) == [] and await command_jobs(workflow_app) == []


async def test_a_comment_delivered_twice_runs_its_commands_once(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    event = fake_github.person_comments("writer", number, "/pause\n/cost")
    for delivery in ("first", "second", "second"):
        await workflow_app.deliver(*event, delivery_id=delivery)
        await workflow_app.settle(fake_github)
    [job] = await command_jobs(workflow_app)
    [reply] = replies_to(fake_github, number, said(fake_github, number, "/pause\n/cost"))
    assert reply.startswith("**/pause**\n\n" + PAUSED.format(user="writer"))
    assert [r.command for r in await audit_rows(workflow_app)] == ["pause", "cost"]
    assert reactions(fake_github, number, "/pause\n/cost") == ["eyes"]
    # the job run again (its worker died) answers again in the same reply, acting once more
    # on nothing: the audit rows say what it did
    await comment(workflow_app, fake_github, "writer", number, "/resume")
    async with transaction(workflow_app.runtime.sessions) as session:
        await session.exec(update(Job).where(col(Job.id) == job.id).values(status=JobStatus.QUEUED))
    await workflow_app.settle(fake_github)
    assert replies_to(fake_github, number, said(fake_github, number, "/pause\n/cost")) == [reply]
    assert [r.command for r in await audit_rows(workflow_app)] == ["pause", "cost", "resume"]
    assert not (await project_of(workflow_app)).paused


async def test_a_command_waits_for_the_running_job_and_runs_next(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
    in_flight: InFlight,
) -> None:
    set_options(fake_github, AUTO)
    ScriptedProject(phases=2).install(scripted_model)

    async def ask_status() -> None:
        await deliver_now(workflow_app, fake_github.person_comments("writer", 1, "/status"))
        assert reactions(fake_github, 1, "/status") == ["eyes"]  # accepted at once...
        assert replies_to(fake_github, 1, said(fake_github, 1, "/status")) == []  # ...not run
        [job] = await command_jobs(workflow_app)
        assert job.status is JobStatus.QUEUED

    in_flight.when(step_is("developer.phase_files", 1), ask_status)
    number = await start_project(workflow_app, fake_github)
    assert in_flight.fired == ["developer.phase_files:1"]
    # answered right after the phase's first job (its pull request open), before its review
    status = reply_to(fake_github, number, "/status")
    assert "in review" in status and "merged" not in status
