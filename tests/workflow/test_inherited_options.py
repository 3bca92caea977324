"""Organisation-wide options through a whole project on the fake GitHub: the `.github`
repository's defaults steer the workflow, the repository's own keys win over them, and what is
wrong anywhere in the chain shows in the status comment with the file it is in."""

from __future__ import annotations

from bot.commands.phases import RESTARTED
from bot.options import PlanApproval
from bot.options_chain import ORIGINS_KEY, OriginKind
from bot.workflow.context import options_of
from storage.projects import ProjectStatus
from tests.apphelpers import RunningApp
from tests.command_helpers import reply_to
from tests.fakegithub import FakeGitHub
from tests.options_helpers import OPTIONS_PATH, ORG_FILE, REPO_FILE, put_file, set_org_options
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow_helpers import (
    comment,
    job_errors,
    phases_of,
    project_of,
    set_options,
    start_project,
    status_text,
)


async def test_organisation_defaults_steer_the_project(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    set_org_options(fake_github, "plan_approval: auto\nmax_revisions: 1\n")
    ScriptedProject(phases=2).install(scripted_model)
    await start_project(workflow_app, fake_github)
    assert await job_errors(workflow_app) == []
    project = await project_of(workflow_app)
    assert project.status is ProjectStatus.DONE  # no `/approve` asked: the org said auto
    assert options_of(project).max_revisions == 1
    origins = project.options[ORIGINS_KEY]["options"]
    assert origins["plan_approval"] == {"kind": OriginKind.ORGANISATION, "file": ORG_FILE}
    assert [p.state for p in await phases_of(workflow_app)] == ["merged", "merged"]


async def test_a_repository_key_overrides_the_organisation_default(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    set_org_options(fake_github, "plan_approval: auto\nmax_phases: 2\n")
    set_options(fake_github, "plan_approval: required\n")
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    project = await project_of(workflow_app)
    assert project.status is ProjectStatus.AWAITING_APPROVAL  # the repository's own word
    options = options_of(project)
    assert options.plan_approval is PlanApproval.REQUIRED and options.max_phases == 2
    origins = project.options[ORIGINS_KEY]["options"]
    assert origins["plan_approval"]["file"] == REPO_FILE
    assert origins["max_phases"]["file"] == ORG_FILE
    assert "/approve" in status_text(fake_github, number)


async def test_a_malformed_organisation_file_names_its_origin_in_the_status_comment(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    set_org_options(fake_github, "plan_approval: [oops\n")
    set_options(fake_github, "max_phases: 2\nmax_revisions: 99\n")
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    assert await job_errors(workflow_app) == []
    project = await project_of(workflow_app)
    assert project.status is ProjectStatus.AWAITING_APPROVAL  # nothing stops; the default holds
    assert options_of(project).max_phases == 2
    status = status_text(fake_github, number)
    assert f"`{ORG_FILE}` is not valid YAML" in status
    assert f"`{REPO_FILE}`: `max_revisions`: input should be less than or equal to 10" in status
    # One notice per file, each its own quoted line.
    assert status.count("> ⚠️ `") == 2


async def test_a_cycle_in_extends_is_a_notice_and_the_project_goes_on(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    set_options(fake_github, "_extends: shared\n")
    put_file(fake_github, "octo-org/shared", OPTIONS_PATH, "_extends: hello-world\nmax_phases: 2\n")
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    assert await job_errors(workflow_app) == []
    assert options_of(await project_of(workflow_app)).max_phases == 2
    status = status_text(fake_github, number)
    assert f"`_extends: hello-world` leads back to `{REPO_FILE}`" in status
    assert "a cycle, so it is not followed" in status


async def test_a_budget_raised_in_the_organisation_file_is_read_again(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    set_options(fake_github, "plan_approval: auto\n")
    set_org_options(fake_github, "budget_usd: 0.02\n")
    ScriptedProject(phases=3).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    await comment(workflow_app, fake_github, "writer", number, "/approve")  # past the pause
    project = await project_of(workflow_app)
    assert project.paused and not project.pause_resumable  # stopped at the org's budget
    set_org_options(fake_github, "budget_usd: 5\n")
    await comment(workflow_app, fake_github, "writer", number, "/retry")
    assert reply_to(fake_github, number, "/retry") == RESTARTED.format(user="writer")
    project = await project_of(workflow_app)
    assert project.status is ProjectStatus.DONE and project.budget_nanousd == 5 * 10**9
    origins = project.options[ORIGINS_KEY]["options"]
    assert origins["budget_usd"]["file"] == ORG_FILE
    assert origins["plan_approval"]["file"] == REPO_FILE
