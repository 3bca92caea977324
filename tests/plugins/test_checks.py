"""A plugin's review check: its findings join the validator's in the review (listed, and inline
on their line) and in the check run's annotations, at their own level; an error-level finding
fails the phase's review, and the revision answers it. A check that raises, never answers or
answers nonsense is a finding that says so, not a crash, and does not fail the phase."""

from __future__ import annotations

import pytest

from agents.schemas import Edit, Revision
from bot.plugins.events import PhaseReviewed
from storage.projects import ProjectStatus
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.plugins.sample import LINTER, RECORDER, SERVICE, SORTED
from tests.scriptedmodel import ScriptedModel
from tests.workflow_helpers import (
    REPO,
    app_pulls,
    check_runs_on,
    job_errors,
    phases_of,
    project_of,
    run_approved_project,
)

FIRST_LINE = '"""Feature 1: the service layer over Record1."""'
LISTED = "[linter] app/feature1/service.py line 1: R1: results must say they are sorted"
INLINE = "linter (error R1): results must say they are sorted"
FAILED_CHECK = "The check could not run:"


def script_revision(model: ScriptedModel) -> None:
    edit = Edit(path=SERVICE, search=FIRST_LINE, replace=f"{FIRST_LINE}\n{SORTED}")
    model.script(
        "developer.revise", Revision(summary="Say so.", edits=[edit], new_files=[], replies=[])
    )


def validator_runs(fake: FakeGitHub, sha: str) -> list[object]:
    repo = fake.get_repo(REPO)
    return [
        r for r in repo.check_runs.values() if r.head_sha == sha and r.name.endswith("validator")
    ]


@pytest.mark.plugins("linter,recorder")
async def test_an_error_finding_fails_the_review_and_shows_in_review_and_check_run(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    script_revision(scripted_model)
    await run_approved_project(workflow_app, fake_github, scripted_model, phases=1)
    assert await job_errors(workflow_app) == []
    pull = app_pulls(fake_github)[0]
    repo = fake_github.get_repo(REPO)
    first_head = repo.git.commits[pull.head_sha].parents[0]
    # the first head: failed by the linter alone (the scripted validator passes it)
    assert check_runs_on(fake_github, first_head) == ["failure"]
    [run] = validator_runs(fake_github, first_head)
    assert run.annotations == [  # type: ignore[attr-defined]
        {
            "path": SERVICE,
            "start_line": 1,
            "end_line": 1,
            "annotation_level": "failure",
            "message": "results must say they are sorted",
            "title": "linter: R1",
        }
    ]
    reviews = sorted(
        (r for r in repo.reviews.values() if r.pull_number == pull.number), key=lambda r: r.id
    )
    assert "❌ Changes needed" in reviews[0].body and LISTED in reviews[0].body.replace("\\", "")
    inline = [c for c in repo.review_comments.values() if c.pull_number == pull.number]
    assert [(c.path, c.line, c.body.replace("\\", "")) for c in inline] == [(SERVICE, 1, INLINE)]
    [revise] = scripted_model.calls("developer.revise")
    assert "results must say they are sorted" in revise.user  # the revision answers it
    # the revised head: a notice, which passes; the phase merged
    assert check_runs_on(fake_github, pull.head_sha) == ["success"]
    [passed] = validator_runs(fake_github, pull.head_sha)
    assert [a["annotation_level"] for a in passed.annotations] == ["notice"]  # type: ignore[attr-defined]
    assert "sorted, as documented" in reviews[1].body
    [phase] = await phases_of(workflow_app)
    assert phase.state == "merged" and phase.revisions == 1
    assert [r["verdict"] for r in phase.reviews] == ["FAIL", "PASS"]
    assert [c.head_sha for c in LINTER.checks] == [first_head, pull.head_sha]
    assert set(LINTER.checks[0].files) == set(phase.files)  # the phase's files, in full
    assert SORTED not in LINTER.checks[0].files[SERVICE]
    reviewed = [e for e in RECORDER.events if isinstance(e, PhaseReviewed)]
    assert [(e.passed, e.findings, e.errors) for e in reviewed] == [(False, 1, 1), (True, 1, 0)]


@pytest.mark.plugins("broken_check,slow_check,bad_check")
async def test_a_check_that_raises_hangs_or_answers_nonsense_is_a_finding_not_a_crash(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    await run_approved_project(workflow_app, fake_github, scripted_model, phases=1)
    assert await job_errors(workflow_app) == []
    assert (await project_of(workflow_app)).status is ProjectStatus.DONE
    pull = app_pulls(fake_github)[0]
    assert check_runs_on(fake_github, pull.head_sha) == ["success"]  # warnings do not fail it
    repo = fake_github.get_repo(REPO)
    [review] = [r for r in repo.reviews.values() if r.pull_number == pull.number]
    body = review.body.replace("\\", "")
    assert (
        "[broken_check]: The check could not run: RuntimeError: the linter is not installed" in body
    )
    assert "[slow_check]: The check could not run: no answer within the time limit" in body
    assert "[bad_check]: The check could not run: TypeError: the check answered something" in body
    [run] = validator_runs(fake_github, pull.head_sha)
    assert run.annotations == []  # type: ignore[attr-defined]  # none is on a file
