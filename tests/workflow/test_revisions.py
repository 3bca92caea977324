"""A failing review sends the phase back to the developer: a revision commit on the same pull
request, a second review; at the revision limit the manager decides (skip, retry with
guidance, ask a person)."""

from __future__ import annotations

from agents.schemas import (
    CriterionCoverage,
    Edit,
    InlineComment,
    PhaseRecovery,
    RecoveryDecision,
    Review,
    Revision,
    Verdict,
)
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.model import RecordedRequest
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow_helpers import (
    REPO,
    app_pulls,
    check_runs_on,
    job_errors,
    phases_of,
    project_of,
    reviews_on,
    run_approved_project,
    status_text,
)

SERVICE = "app/feature1/service.py"
FIRST_LINE = '"""Feature 1: the service layer over Record1."""'


def failing(phase: int, path: str = SERVICE) -> Review:
    return Review(
        verdict=Verdict.FAIL,
        summary=f"Phase {phase} misses the sorting.",
        critical_issues=["Results are not sorted by id"],
        warnings=[],
        suggestions=[],
        criteria=[CriterionCoverage(criterion="Sorted by id", met=False, note="unsorted")],
        compliance_score=40.0,
        comments=[InlineComment(path=path, line=1, body="Say that results are sorted.")],
    )


def fail_phase(model: ScriptedModel, phase: int, project: ScriptedProject) -> None:
    """Phase `phase` always fails its review; the others pass."""

    def answer(request: RecordedRequest) -> Review:
        number = request.phase or 0
        return failing(number) if number == phase else project.review(number)

    model.script("validator.review", answer)


async def test_a_failing_review_leads_to_a_revision_commit_and_a_second_review(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    scripted_model.script("validator.review", failing(1), times=1)
    edit = Edit(path=SERVICE, search=FIRST_LINE, replace=FIRST_LINE + "\n# Results sorted by id.")
    revision = Revision(summary="Sorted.", edits=[edit], new_files=[], replies=[])
    scripted_model.script("developer.revise", revision)
    await run_approved_project(workflow_app, fake_github, scripted_model)
    assert await job_errors(workflow_app) == []
    first = app_pulls(fake_github)[0]
    repo = fake_github.get_repo(REPO)
    head = repo.git.commits[first.head_sha]
    # the revision is one commit on the reviewed one, which is one on the integration branch
    before = fake_github.branch_sha_when_made(head.sha, first.head_ref)
    assert before is not None and head.parents == (before,)
    integration_head = fake_github.branch_sha_when_made(before, first.base_ref)
    assert repo.git.commits[before].parents == (integration_head,)
    assert reviews_on(fake_github, first.number) == ["COMMENTED", "COMMENTED"]
    assert check_runs_on(fake_github, before) == ["failure"]
    assert check_runs_on(fake_github, first.head_sha) == ["success"]
    assert "# Results sorted by id." in (fake_github.file(SERVICE, first.head_sha) or "")
    inline = [c for c in repo.review_comments.values() if c.pull_number == first.number]
    assert [(c.path, c.line, c.body) for c in inline] == [
        (SERVICE, 1, "Say that results are sorted.")
    ]
    assert first.merged
    [phase_one, *_] = await phases_of(workflow_app)
    assert phase_one.revisions == 1 and phase_one.state == "merged"
    [revise] = scripted_model.calls("developer.revise")
    assert "Results are not sorted by id" in revise.user


async def test_at_the_revision_limit_the_manager_skips_the_phase(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    project = ScriptedProject(phases=3)
    fail_phase(scripted_model, 2, project)
    await run_approved_project(workflow_app, fake_github, scripted_model)
    assert await job_errors(workflow_app) == []
    phases = await phases_of(workflow_app)
    assert [p.state for p in phases] == ["merged", "skipped", "merged"]
    assert phases[1].revisions == 2
    assert len(scripted_model.calls("manager.recovery")) == 1
    second = app_pulls(fake_github)[1]
    assert second.state == "closed" and not second.merged
    assert (await project_of(workflow_app)).final_pr_number is not None


async def test_guidance_once_then_the_manager_asks_a_person(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    project = ScriptedProject(phases=2)
    fail_phase(scripted_model, 1, project)
    retry = RecoveryDecision(
        decision=PhaseRecovery.RETRY_WITH_GUIDANCE,
        reasoning="Only sorting is missing.",
        guidance="Sort every query result by id.",
        split_into=[],
        question="Should results be sorted by date instead?",
    )
    scripted_model.script("manager.recovery", retry)
    number = await run_approved_project(workflow_app, fake_github, scripted_model, phases=2)
    phases = await phases_of(workflow_app)
    assert [p.state for p in phases] == ["waiting_human", "planned"]
    # the guided revision changed nothing: the manager's second decision (the same question,
    # from the response cache) may not retry again, so a person is asked
    assert phases[0].recoveries == 1
    guided = scripted_model.calls("developer.revise")[-1]
    assert "Sort every query result by id." in guided.user
    assert "sorted by date instead" in status_text(fake_github, number)


async def test_the_manager_splits_a_failing_phase_into_smaller_ones(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    project = ScriptedProject(phases=3)
    fail_phase(scripted_model, 2, project)
    parts = [project.phase(2).model_copy(update={"id": i, "name": f"Part {i}"}) for i in (1, 2)]
    split = RecoveryDecision(
        decision=PhaseRecovery.SPLIT,
        reasoning="Too much at once.",
        guidance="",
        split_into=parts,
        question="",
    )
    scripted_model.script("manager.recovery", split)
    await run_approved_project(workflow_app, fake_github, scripted_model)
    assert await job_errors(workflow_app) == []
    phases = {p.number: p for p in await phases_of(workflow_app)}
    assert {n: p.state for n, p in phases.items()} == {
        1: "merged",
        2: "skipped",
        3: "merged",
        4: "merged",
        5: "merged",
    }
    assert phases[4].depends_on == [1] and phases[5].depends_on == [4]
    assert phases[3].depends_on == [5]
    order = sorted(phases.values(), key=lambda p: p.finished_at or p.created_at)
    assert [p.number for p in order if p.state == "merged"] == [1, 4, 5, 3]
