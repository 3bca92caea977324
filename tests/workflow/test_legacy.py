"""The legacy workflow (option `workflow: legacy`, or `auto` with a one-phase breakdown): the
developer writes everything, one pull request straight into the default branch, reviewed by
the validator the same way; the project is done when the review passes."""

from __future__ import annotations

from storage.projects import ProjectStatus
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow_helpers import (
    app_pulls,
    check_runs_on,
    job_errors,
    project_of,
    reviews_on,
    set_options,
    start_project,
    status_text,
)


async def test_legacy_makes_one_pull_request_with_all_files(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    set_options(fake_github, "workflow: legacy\nplan_approval: auto\n")
    project = ScriptedProject(phases=3)
    project.install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    assert await job_errors(workflow_app) == []
    [pull] = app_pulls(fake_github)
    assert (pull.head_ref, pull.base_ref, pull.merged) == ("ai-orchestrator/issue-1", "main", False)
    changed = set(fake_github.files(pull.head_ref)) - set(fake_github.files("main"))
    assert changed == {f.path for f in project.phase_files(1).files}
    assert reviews_on(fake_github, pull.number) == ["COMMENTED"]
    assert check_runs_on(fake_github, pull.head_sha) == ["success"]
    assert scripted_model.calls("developer.breakdown") == []
    stored = await project_of(workflow_app)
    assert stored.status is ProjectStatus.DONE and stored.final_pr_number == pull.number
    assert "Final pull request" in status_text(fake_github, number)


async def test_auto_takes_the_legacy_way_for_a_one_phase_breakdown(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    set_options(fake_github, "workflow: auto\nplan_approval: auto\n")
    ScriptedProject(phases=1).install(scripted_model)
    await start_project(workflow_app, fake_github)
    [pull] = app_pulls(fake_github)
    assert (pull.head_ref, pull.base_ref) == ("ai-orchestrator/issue-1", "main")
    assert (await project_of(workflow_app)).workflow == "legacy"
