"""`/approve` in the project's issue: accepted from people with write permission (👀 and an
answer), refused with a reason from anyone else, and nothing is implemented before it."""

from __future__ import annotations

from bot.commands.table import COMMANDS, NOT_ALLOWED, UNKNOWN
from bot.workflow.approve import NOTHING_TO_APPROVE, PLAN_APPROVED
from storage.audit import Outcome
from storage.projects import ProjectStatus
from tests.apphelpers import RunningApp
from tests.command_helpers import audit_rows, body_of, reactions
from tests.fakegithub import FakeGitHub
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow_helpers import app_pulls, comment, project_of, start_project


def bodies(fake: FakeGitHub, number: int) -> list[str]:
    return [body_of(c) for c in fake.comments_on(number)]


async def test_approve_from_a_writer_starts_the_phases(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    await comment(workflow_app, fake_github, "maintainer", number, "Looks good.\n/approve")
    assert reactions(fake_github, number, "Looks good.\n/approve") == ["eyes"]
    assert PLAN_APPROVED.format(user="maintainer") in bodies(fake_github, number)
    project = await project_of(workflow_app)
    assert project.plan_approved_by == "maintainer" and project.status is ProjectStatus.DONE
    [row] = await audit_rows(workflow_app)
    assert (row.actor, row.command, row.location, row.outcome) == (
        "maintainer",
        "approve",
        f"issue #{number}",
        Outcome.DONE,
    )
    await comment(workflow_app, fake_github, "maintainer", number, "/approve")
    assert NOTHING_TO_APPROVE.format(user="maintainer") in bodies(fake_github, number)


async def test_approve_from_someone_without_write_permission_is_refused(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    await comment(workflow_app, fake_github, "triager", number, "/approve")
    assert NOT_ALLOWED.format(user="triager") in bodies(fake_github, number)
    assert reactions(fake_github, number, "/approve") == []
    assert (await project_of(workflow_app)).status is ProjectStatus.AWAITING_APPROVAL
    assert app_pulls(fake_github) == []
    assert scripted_model.calls("developer.phase_files") == []


async def test_an_unknown_command_gets_a_reply(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    await comment(workflow_app, fake_github, "writer", number, "/frobnicate now")
    known = ", ".join(f"`/{name}`" for name in COMMANDS)
    expected = UNKNOWN.format(user="writer", name="frobnicate", known=known)
    assert expected in bodies(fake_github, number)
