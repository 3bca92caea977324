"""Every step is safe to run again: a job killed midway is resumed by another run without a
second branch, commit, pull request, review, check run or comment; the same delivery and the
same job run twice change nothing the second time."""

from __future__ import annotations

from sqlmodel import col, delete, select

from storage.cache import CacheEntry
from storage.db import transaction
from storage.jobs import Job, JobStatus
from storage.ledger import LLMCall
from storage.projects import Project
from storage.states import Marker, MarkerKind, PhaseState
from storage.workflow import Phase
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow_helpers import (
    REPO,
    app_pulls,
    check_runs_on,
    comment,
    job_errors,
    phases_of,
    project_of,
    reviews_on,
    run_until,
    set_options,
    settle_with_retries,
    start_project,
    status_comments,
)

PULLS = "/repos/{owner}/{repo}/pulls"
REFS = "/repos/{owner}/{repo}/git/refs"
CHECK_RUNS = "/repos/{owner}/{repo}/check-runs"
REVIEWS = "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"
MUTATING = ("POST", "PATCH", "PUT", "DELETE")


async def approve_with_a_crash(
    app: RunningApp, fake: FakeGitHub, model: ScriptedModel, method: str, template: str
) -> int:
    ScriptedProject(phases=2).install(model)
    number = await start_project(app, fake)
    fake.inject(method, template, 500, json={"message": "Server Error"})
    await comment(app, fake, "writer", number, "/approve")
    await settle_with_retries(app, fake)
    assert await job_errors(app) != []  # the crash happened, and was retried
    return number


def phase_commits(fake: FakeGitHub, branch: str, base: str) -> list[str]:
    git = fake.get_repo(REPO).git
    tip = next(p.head_sha for p in app_pulls(fake) if p.head_ref == branch)
    return [sha for sha in git.ancestors(tip) if sha not in git.ancestors(base)]


async def test_killed_after_the_commit_before_the_branch_points_at_it(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    await approve_with_a_crash(workflow_app, fake_github, scripted_model, "POST", REFS)
    pulls = app_pulls(fake_github)
    assert [p.head_ref for p in pulls] == [
        "ai-orchestrator/issue-1/phase-1",
        "ai-orchestrator/issue-1/phase-2",
        "ai-orchestrator/issue-1",
    ]
    first = pulls[0]
    assert (
        first.merged
        and len(phase_commits(fake_github, first.head_ref, first.frozen_base or "")) == 1
    )
    assert (await project_of(workflow_app)).final_pr_number == pulls[-1].number


async def test_killed_after_the_commit_before_the_pull_request(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    await approve_with_a_crash(workflow_app, fake_github, scripted_model, "POST", PULLS)
    pulls = app_pulls(fake_github)
    assert len(pulls) == 3 and all(p.merged for p in pulls[:2])
    phase_branch_refs = [
        r for r in fake_github.requests_to("POST", REFS) if "phase-1" in str(r.json)
    ]
    assert len(phase_branch_refs) == 1
    first = pulls[0]
    assert len(phase_commits(fake_github, first.head_ref, first.frozen_base or "")) == 1


async def test_killed_after_the_pull_request_before_the_review(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    number = await approve_with_a_crash(workflow_app, fake_github, scripted_model, "POST", REVIEWS)
    pulls = app_pulls(fake_github)
    assert len(pulls) == 3 and all(p.merged for p in pulls[:2])
    first = pulls[0]
    assert fake_github.calls("POST", PULLS) == 3  # one per phase and the final: none twice
    assert reviews_on(fake_github, first.number) == ["COMMENTED"]
    assert check_runs_on(fake_github, first.head_sha) == ["success"]
    assert len(phase_commits(fake_github, first.head_ref, first.frozen_base or "")) == 1
    assert len(status_comments(fake_github, number)) == 1


async def test_killed_after_the_review_before_the_check_run(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    await approve_with_a_crash(workflow_app, fake_github, scripted_model, "POST", CHECK_RUNS)
    first = app_pulls(fake_github)[0]
    assert reviews_on(fake_github, first.number) == ["COMMENTED"]
    assert check_runs_on(fake_github, first.head_sha) == ["success"]
    assert first.merged


async def test_a_phase_whose_commit_and_pull_request_were_not_recorded_is_found_again(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    """The worker died before it stored what it did on GitHub: the branch's head is read
    back, the same files commit to nothing, and the open pull request is found."""
    ScriptedProject(phases=1).install(scripted_model)
    set_options(fake_github, "plan_approval: auto\n")
    _, opened = fake_github.person_opens_issue("octocat", "Orders", "Orders back office.")
    labelled = fake_github.person_labels_issue(
        "writer", int(opened["issue"]["number"]), "ai-orchestrator"
    )
    await workflow_app.deliver(*labelled)
    await run_until(workflow_app, fake_github, lambda: bool(app_pulls(fake_github)))
    [phase] = await phases_of(workflow_app)
    async with transaction(workflow_app.runtime.sessions) as session:
        stored = await session.get(Phase, phase.id)
        assert stored is not None
        stored.state, stored.head_sha = PhaseState.CODING, None
        stored.began = Marker(MarkerKind.COMMIT)
        stored.pr_number = stored.pr_url = None
        session.add(stored)
        [job] = (await session.exec(select(Job).where(Job.kind == "phase_code"))).all()
        job.status = JobStatus.QUEUED
        session.add(job)
    await workflow_app.settle(fake_github)
    assert await job_errors(workflow_app) == []
    phase_pull, final = app_pulls(fake_github)
    assert phase_pull.merged and final.head_ref == "ai-orchestrator/issue-1"
    commits = fake_github.requests_to("POST", "/repos/{owner}/{repo}/git/commits")
    assert len(commits) == 2  # the plan file's and the phase's, once each
    [phase] = await phases_of(workflow_app)
    assert phase.pr_number == phase_pull.number and phase.head_sha == phase_pull.head_sha


async def test_the_same_delivery_twice_changes_nothing(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    event = fake_github.person_comments("writer", number, "/approve")
    await workflow_app.deliver(*event, delivery_id="approve-once")
    await workflow_app.settle(fake_github)
    count = len(fake_github.requests)
    again = await workflow_app.deliver(*event, delivery_id="approve-once")
    assert again.status_code == 200
    await workflow_app.settle(fake_github)
    assert len(fake_github.requests) == count
    assert len(status_comments(fake_github, number)) == 1


async def test_every_job_run_twice_changes_nothing(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    await comment(workflow_app, fake_github, "writer", number, "/approve")
    calls = len(scripted_model.requests)
    writes = [r for r in fake_github.requests if r.method in MUTATING]
    async with transaction(workflow_app.runtime.sessions) as session:
        done = (await session.exec(select(Job).where(col(Job.project_id).is_not(None)))).all()
        for job in done:
            job.status = JobStatus.QUEUED
            session.add(job)
    await workflow_app.settle(fake_github)
    assert [r for r in fake_github.requests if r.method in MUTATING] == writes
    assert len(scripted_model.requests) == calls
    assert await job_errors(workflow_app) == []


async def test_work_under_way_on_github_is_continued_not_started_over(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    """The app's data is lost mid-project; the issue is labelled again: the plan is read back
    from the integration branch and the open phase pull request is taken over."""
    set_options(fake_github, "plan_approval: auto\nmerge_policy: human\n")
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    [first] = app_pulls(fake_github)
    async with transaction(workflow_app.runtime.sessions) as session:
        for table in (Phase, Project, Job, LLMCall, CacheEntry):
            await session.exec(delete(table))
    planned = len(scripted_model.requests)
    fake_github.get_repo(REPO).issues[number].labels.clear()
    await workflow_app.deliver(
        *fake_github.person_labels_issue("writer", number, "ai-orchestrator")
    )
    await workflow_app.settle(fake_github)
    assert await job_errors(workflow_app) == []
    steps = [r.step for r in scripted_model.requests[planned:]]
    assert steps == ["validator.review"]  # no planning, no code: only a fresh review
    assert app_pulls(fake_github) == [first]
    phase, second = await phases_of(workflow_app)
    assert phase.pr_number == first.number and phase.state == "waiting_human"
    assert second.state == "planned"
