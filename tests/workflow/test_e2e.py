"""A labelled issue runs to the final pull request on the fake GitHub with the scripted model:
the plan file, one pull request per phase with one commit each, a COMMENT review and a check
run per head commit, merges in dependency order, phase docs, the final pull request with the
release notes, and one status comment edited in place. The fake checks every request against
GitHub's REST description (a violation fails the test)."""

from __future__ import annotations

from agents.schemas import InlineComment
from storage.projects import ProjectStatus
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow_helpers import (
    INTEGRATION,
    REPO,
    app_pulls,
    check_runs_on,
    job_errors,
    phases_of,
    project_of,
    reviews_on,
    run_approved_project,
    set_options,
    start_project,
    status_comments,
    status_text,
)


async def test_a_labelled_issue_runs_to_the_final_pull_request(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    number = await run_approved_project(workflow_app, fake_github, scripted_model)
    assert await job_errors(workflow_app) == []
    *phase_pulls, final = app_pulls(fake_github)
    assert [p.head_ref for p in phase_pulls] == [f"{INTEGRATION}/phase-{k}" for k in (1, 2, 3)]
    assert all(p.base_ref == INTEGRATION and p.merged for p in phase_pulls)
    # merged in dependency order
    merged_at = [p.merged_at for p in phase_pulls]
    assert merged_at == sorted(merged_at)  # type: ignore[type-var]
    git = fake_github.get_repo(REPO).git
    for pull in phase_pulls:
        assert reviews_on(fake_github, pull.number) == ["COMMENTED"]
        assert check_runs_on(fake_github, pull.head_sha) == ["success"]
        head = git.commits[pull.head_sha]
        # signed by GitHub, and one commit on the integration branch's head of its time
        integration_head = fake_github.branch_sha_when_made(head.sha, INTEGRATION)
        assert head.verified and head.parents == (integration_head,)
        # the body ends with the manifest of what the model was given
        _, manifest = (pull.body or "").split("### What the model was given\n\n")
        assert manifest.splitlines()[0].startswith("- Files in full:")
        assert all(
            line.startswith(("- Files ", "- Repository instructions:"))
            for line in manifest.splitlines()
        )
    files = fake_github.files(INTEGRATION)
    for k in (1, 2, 3):
        assert f".ai-orchestrator/issue-1/phase-{k}.md" in files
        assert f"app/feature{k}/service.py" in files
    assert final.head_ref == INTEGRATION and final.base_ref == "main" and not final.merged
    assert "Release notes" in (final.body or "") and f"Closes #{number}" in (final.body or "")
    project = await project_of(workflow_app)
    assert project.status is ProjectStatus.DONE and project.final_pr_number == final.number
    assert [p.state for p in await phases_of(workflow_app)] == ["merged"] * 3
    assert len(status_comments(fake_github, number)) == 1
    status = status_text(fake_github, number)
    assert "Totals" in status and "3 phases" in status and "Final pull request" in status


async def test_each_phase_pull_request_has_one_commit(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    await run_approved_project(workflow_app, fake_github, scripted_model)
    git = fake_github.get_repo(REPO).git
    *phase_pulls, _ = app_pulls(fake_github)
    phases = await phases_of(workflow_app)
    for pull, phase in zip(phase_pulls, phases, strict=True):
        head = git.commits[pull.head_sha]
        # exactly one parent: the integration branch's head when the commit was made (not an
        # older one, nor a commit of its own before it), the base the phase row recorded
        integration_head = fake_github.branch_sha_when_made(head.sha, INTEGRATION)
        assert integration_head is not None and head.parents == (integration_head,)
        assert (phase.base_sha, phase.head_sha) == (integration_head, head.sha)
    # each phase starts from the integration branch once the phase before it merged
    parents = [git.commits[pull.head_sha].parents[0] for pull in phase_pulls]
    assert parents[1:] == [pull.merge_commit_sha for pull in phase_pulls[:-1]]
    writes = fake_github.calls("POST", "/repos/{owner}/{repo}/git/commits")
    assert writes == 4  # the plan file and one per phase


async def test_auto_approval_needs_no_comment(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    set_options(fake_github, "plan_approval: auto\n")
    ScriptedProject(phases=2).install(scripted_model)
    await start_project(workflow_app, fake_github)
    project = await project_of(workflow_app)
    assert project.status is ProjectStatus.DONE and project.plan_approved_by == "auto"


async def test_a_review_with_many_findings_annotates_every_one(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    project = ScriptedProject(phases=1)
    service = "app/feature1/service.py"
    comments = [InlineComment(path=service, line=n, body=f"Note {n}") for n in range(1, 61)]
    review = project.review(1).model_copy(update={"comments": comments})
    scripted_model.script("validator.review", review)
    set_options(fake_github, "plan_approval: auto\n")
    project.install(scripted_model)
    await start_project(workflow_app, fake_github)
    [pull, _] = app_pulls(fake_github)
    repo = fake_github.get_repo(REPO)
    [run] = [
        r
        for r in repo.check_runs.values()
        if r.head_sha == pull.head_sha and r.app.id == fake_github.app_id  # CI's runs aside
    ]
    assert len(run.annotations) == 60 and run.conclusion == "success"
    inline = [c for c in repo.review_comments.values() if c.pull_number == pull.number]
    assert len(inline) == 60
    assert fake_github.calls("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}") == 1
