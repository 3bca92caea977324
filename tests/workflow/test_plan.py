"""The plan step on the fake GitHub with the scripted model: options read, brainstorming,
architecture, breakdown reviewed by the manager, the plan file on the integration branch, the
status comment showing the plan, and nothing implemented before `/approve`."""

from __future__ import annotations

import yaml

from agents.schemas import BreakdownReview, PlanDecision
from storage.projects import ProjectStatus
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow_helpers import (
    INTEGRATION,
    app_pulls,
    job_errors,
    phases_of,
    project_of,
    set_options,
    start_project,
    status_comments,
    status_text,
)

PLAN_FILE = ".ai-orchestrator/issue-1/plan.yaml"


async def test_plan_is_committed_shown_and_waits_for_approval(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    scripted = ScriptedProject(phases=3)
    scripted.install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    assert await job_errors(workflow_app) == []
    project = await project_of(workflow_app)
    assert project.status is ProjectStatus.AWAITING_APPROVAL
    assert project.integration_branch == INTEGRATION
    plan = yaml.safe_load(fake_github.file(PLAN_FILE, INTEGRATION) or "")
    assert [p["id"] for p in plan["micro_phase_plans"]] == [1, 2, 3]
    assert plan["session_id"] == f"octo-org/hello-world#{number}"
    # The plan commit sits on the default branch's head: one commit, made by the app.
    commit = fake_github.get_repo("octo-org/hello-world").git.commits[project.plan_sha or ""]
    assert commit.parents == (fake_github.branch_sha("main"),) and commit.verified
    status = status_text(fake_github, number)
    assert "/approve" in status and scripted.phase(1).name in status
    assert "mermaid" in status and "Tests pass with pytest" in status
    assert [p.state for p in await phases_of(workflow_app)] == ["planned"] * 3
    assert scripted_model.calls("developer.phase_files") == []
    assert app_pulls(fake_github) == []
    steps = [r.step for r in scripted_model.requests]
    assert steps == [
        "manager.brainstorm",
        "developer.brainstorm",
        "manager.synthesis",
        "developer.architecture",
        "developer.breakdown",
        "manager.breakdown_review",
    ]


async def test_manager_requests_changes_twice_then_the_last_breakdown_is_used(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    needs = BreakdownReview(
        decision=PlanDecision.NEEDS_REVISION, reasons=["Too big"], requested_changes=["Split it"]
    )
    scripted_model.script("manager.breakdown_review", needs, times=3)
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    assert len(scripted_model.calls("developer.breakdown")) == 3
    assert len(scripted_model.calls("manager.breakdown_review")) == 3
    assert "Split it" in scripted_model.calls("developer.breakdown")[1].user
    project = await project_of(workflow_app)
    assert project.notice is not None and "Split it" in project.notice
    assert "Split it" in status_text(fake_github, number)


async def test_malformed_options_file_is_reported_and_defaults_are_used(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    set_options(fake_github, "plan_approval: [oops\n")
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    project = await project_of(workflow_app)
    assert project.options_problem is not None and "not valid YAML" in project.options_problem
    assert project.status is ProjectStatus.AWAITING_APPROVAL  # the default: required
    assert "not valid YAML" in status_text(fake_github, number)


async def test_template_label_seeds_the_brief(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    ScriptedProject(phases=2).install(scripted_model)
    _, opened = fake_github.person_opens_issue(
        "octocat", "A shop", "Sell things.", labels=["template:web_app"]
    )
    number = int(opened["issue"]["number"])
    labelled = fake_github.person_labels_issue("writer", number, "ai-orchestrator")
    await workflow_app.deliver(*labelled)
    await workflow_app.settle(fake_github)
    assert (await project_of(workflow_app)).template == "web_app"
    [brainstorm] = scripted_model.calls("developer.brainstorm")
    assert "Project template chosen by the repository" in brainstorm.user
    assert "web_app" in brainstorm.user


async def test_the_status_comment_is_one_comment_edited_in_place(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    assert len(status_comments(fake_github, number)) == 1
    posts = fake_github.calls("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
    assert posts == 1
