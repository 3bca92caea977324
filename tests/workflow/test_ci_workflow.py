"""A repository without CI gets the app's templated workflow in the plan commit: under
`.github/workflows/` when the installation may write workflows, else beside the plan with a
notice in the status comment that says how to turn it on; `ci.generate: false` or a workflow
already on the default branch means none."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from bot.files.ci_workflow import CHECK_NAME, WORKFLOW_PATH
from storage.projects import Project
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow_helpers import (
    REPO,
    job_errors,
    project_of,
    set_options,
    start_project,
    status_text,
)

PLAN_FILE = ".ai-orchestrator/issue-1/plan.yaml"
NOT_RUNNING = ".ai-orchestrator/issue-1/ci.yml"
TREES = "/repos/{owner}/{repo}/git/trees"
HOW_TO = f"copy it to `{WORKFLOW_PATH}` on `ai-orchestrator/issue-1`"

# These repositories have no CI of their own: that is what the app fills in.
pytestmark = pytest.mark.no_ci


def plan_commit_files(fake: FakeGitHub, sha: str) -> dict[str, str]:
    """The files the plan commit added or changed (path -> text)."""
    git = fake.get_repo(REPO).git
    commit = git.commits[sha]
    (parent,) = commit.parents
    before = git.flatten(git.commits[parent].tree)
    after = git.flatten(commit.tree)
    changed = [path for path, entry in after.items() if before.get(path) != entry]
    return {path: fake.file(path, sha) or "" for path in sorted(changed)}


def workflow_paths_written(fake: FakeGitHub) -> list[str]:
    """Every path under `.github/workflows/` that any tree the app posted named."""
    return [
        str(item["path"])
        for request in fake.requests_to("POST", TREES)
        for item in request.json["tree"]
        if str(item["path"]).startswith(".github/workflows/")
    ]


async def plan_project(
    app: RunningApp, fake: FakeGitHub, model: ScriptedModel
) -> tuple[int, Project, dict[str, str]]:
    """A two-phase project planned: its issue, its row and the files of its plan commit."""
    ScriptedProject(phases=2).install(model)
    number = await start_project(app, fake)
    assert await job_errors(app) == []
    project = await project_of(app)
    return number, project, plan_commit_files(fake, project.plan_sha or "")


def steps_of(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    [job] = workflow["jobs"].values()
    return list(job["steps"])


async def test_a_python_plan_without_ci_commits_the_templated_workflow(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    fake_github.app.permissions["workflows"] = "write"
    number, project, files = await plan_project(workflow_app, fake_github, scripted_model)
    assert project.ci_workflow == WORKFLOW_PATH
    assert sorted(files) == [PLAN_FILE, WORKFLOW_PATH]  # one commit: the plan and the CI
    assert fake_github.calls("POST", TREES) == 1
    workflow = yaml.safe_load(files[WORKFLOW_PATH])
    # PyYAML reads the key `on` as YAML 1.1's true; GitHub reads it as `on`.
    assert workflow[True] == {"pull_request": {"branches": ["main", "ai-orchestrator/issue-*"]}}
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["test"]["name"] == CHECK_NAME
    steps = steps_of(workflow)
    assert [s["uses"].split("@")[0] for s in steps if "uses" in s] == [
        "actions/checkout",
        "actions/setup-python",
    ]
    assert all(len(s["uses"].split("@")[1]) == 40 for s in steps if "uses" in s)
    # The scripted plan's commands (the repository has no AGENTS.md).
    assert [s["run"] for s in steps if "run" in s] == [
        "python -m pip install pytest",
        "python -m pytest",
    ]
    plan = yaml.safe_load(files[PLAN_FILE])
    assert plan["commands"] == {
        "setup": ["python -m pip install pytest"],
        "test": ["python -m pytest"],
    }
    assert "workflows" not in status_text(fake_github, number)


async def test_without_the_workflows_permission_the_workflow_waits_beside_the_plan(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    assert "workflows" not in fake_github.app.permissions  # the default manifest's App
    number, project, files = await plan_project(workflow_app, fake_github, scripted_model)
    assert project.ci_workflow == NOT_RUNNING
    assert sorted(files) == [NOT_RUNNING, PLAN_FILE]
    assert yaml.safe_load(files[NOT_RUNNING])["jobs"]["test"]["name"] == CHECK_NAME
    assert workflow_paths_written(fake_github) == []  # GitHub would refuse the whole push
    status = status_text(fake_github, number)
    assert f"it is at `{NOT_RUNNING}`, where it does not run" in status
    assert HOW_TO in status and "grant the App Workflows (read and write)" in status


@pytest.mark.parametrize(
    "setup",
    ["ci-generate-false", "repository-has-ci", "unknown-stack"],
)
async def test_no_workflow_is_made(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel, setup: str
) -> None:
    fake_github.app.permissions["workflows"] = "write"
    project = ScriptedProject(phases=2)
    if setup == "ci-generate-false":
        set_options(fake_github, "ci:\n  generate: false\n")
    elif setup == "repository-has-ci":
        repo = fake_github.get_repo(REPO)
        fake_github.commit_files(repo, "main", {".github/workflows/test.yml": "on: push\n"}, "CI")
    else:
        architecture = project.architecture().model_copy(
            update={
                "technology_stack": [],
                "commands": project.architecture().commands.model_copy(update={"test": []}),
            }
        )
        scripted_model.script("developer.architecture", architecture)
    project.install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    assert await job_errors(workflow_app) == []
    stored = await project_of(workflow_app)
    assert stored.ci_workflow is None
    assert sorted(plan_commit_files(fake_github, stored.plan_sha or "")) == [PLAN_FILE]
    assert "CI workflow" not in status_text(fake_github, number)
