"""Bad model output never reaches the repository (an answer invalid twice, a path outside it, a
workflow file): the phase fails with a clear message and how to retry, and nothing is
committed. The brief is the issue as it was at the start; later edits do not reach a prompt."""

from __future__ import annotations

import pytest

from agents.schemas import FileContent, PhaseFiles
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow_helpers import (
    app_pulls,
    job_errors,
    phases_of,
    retry_now,
    run_until,
    set_options,
    start_project,
    status_comments,
    status_text,
)

EDITED = "EDITED LATER: also build a rocket"


def files(path: str) -> PhaseFiles:
    return PhaseFiles(summary="Adds it.", files=[FileContent(path=path, content="x = 1\n")])


async def run_phase_one(app: RunningApp, fake: FakeGitHub, model: ScriptedModel) -> int:
    set_options(fake, "plan_approval: auto\n")
    ScriptedProject(phases=2).install(model)
    return await start_project(app, fake)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("not json at all", "the developer agent gave an invalid answer twice"),
        (files("../outside.py"), "must not contain a `..` segment"),
        (files(".github/workflows/ci.yml"), "files under `.github/workflows/` are not allowed"),
    ],
    ids=["invalid-twice", "outside-the-repo", "workflow-file"],
)
async def test_bad_output_fails_the_phase_and_commits_nothing(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
    answer: PhaseFiles | str,
    message: str,
) -> None:
    scripted_model.script("developer.phase_files", answer, times=2)
    number = await run_phase_one(workflow_app, fake_github, scripted_model)
    assert await job_errors(workflow_app) == []  # failed for good at once: no retries
    first, second = await phases_of(workflow_app)
    assert first.state == "failed" and first.head_sha is None
    assert second.state == "planned"  # it needs phase 1
    assert fake_github.branch_sha("ai-orchestrator/issue-1/phase-1") is None
    assert app_pulls(fake_github) == []
    status = status_text(fake_github, number)
    assert message.replace("`", "") in status.replace("`", "")
    assert "/retry phase-1" in status
    assert "Failed: phase 1. Waiting for it: phase 2." in status
    assert len(status_comments(fake_github, number)) == 1


async def test_an_issue_edited_after_the_start_does_not_change_the_brief(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    ScriptedProject(phases=2).install(scripted_model)
    _, opened = fake_github.person_opens_issue("octocat", "Orders", "Orders back office.")
    number = int(opened["issue"]["number"])
    await workflow_app.deliver(
        *fake_github.person_labels_issue("writer", number, "ai-orchestrator")
    )
    await run_until(workflow_app, fake_github, lambda: bool(status_comments(fake_github, number)))
    fake_github.issue(number).body = EDITED  # a person edits the issue before planning
    await workflow_app.settle(fake_github)
    assert scripted_model.requests and all(EDITED not in r.text for r in scripted_model.requests)
    assert "Orders back office." in scripted_model.calls("manager.brainstorm")[0].user


async def test_a_job_failing_after_its_retries_fails_the_phase_and_says_how_to_retry(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An error of our own is retried `max_attempts` times. (GitHub's passing errors are
    retried by time instead: tests/workflow/test_faults.py.)"""

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the pull request could not be opened")

    set_options(fake_github, "plan_approval: auto\n")
    ScriptedProject(phases=2).install(scripted_model)
    monkeypatch.setattr("bot.workflow.code.open_pull", broken)
    number = await start_project(workflow_app, fake_github)
    for _ in range(5):
        await retry_now(workflow_app)
        await workflow_app.settle(fake_github)
    [dead] = [e for e in await job_errors(workflow_app) if e[0] == "phase_code"]
    assert dead[1] == "dead"
    first, _ = await phases_of(workflow_app)
    assert first.state == "failed" and first.error is not None
    status = status_text(fake_github, number)
    assert "after 5 attempts" in status and "/retry phase-1" in status
    assert app_pulls(fake_github) == []
