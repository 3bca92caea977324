"""A scripted project tells the plugins what happens, in order, from jobs: every hook across
these runs (the happy path, a red build, the budget, an abort, a failing phase and plan); a
plugin that raises or never answers does not stop the project."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot.plugins.events import (
    BudgetPaused,
    CIFailed,
    PhaseMerged,
    PhaseReviewed,
    PlanApproved,
    PlanReady,
    ProjectAborted,
    ProjectDone,
    ProjectStarted,
)
from storage.jobs import Job, JobStatus
from storage.plugin_deliveries import Outcome, PluginDelivery
from storage.projects import ProjectStatus
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.plugins.sample import ASLEEP, ASYNC_RECORDER, RECORDER, STUCK
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow.test_ci_loop import script_fix, until_fixed
from tests.workflow_helpers import (
    AUTO,
    REPO,
    app_pulls,
    comment,
    job_errors,
    phases_of,
    project_of,
    run_approved_project,
    set_options,
    start_project,
)

PHASE = ["phase_opened", "phase_reviewed", "phase_merged"]
HAPPY = ["project_started", "plan_ready", "plan_approved", *PHASE, *PHASE, "project_done"]
PULLS = "/repos/{owner}/{repo}/pulls"
TREES = "/repos/{owner}/{repo}/git/trees"


async def deliveries(app: RunningApp) -> list[PluginDelivery]:
    async with app.runtime.sessions() as session:
        statement = select(PluginDelivery).order_by(col(PluginDelivery.id))
        return list((await session.exec(statement)).all())


async def plugin_jobs(app: RunningApp) -> list[Job]:
    async with app.runtime.sessions() as session:
        statement = select(Job).where(col(Job.kind) == "plugin_event")
        return list((await session.exec(statement)).all())


@pytest.mark.plugins("recorder,async_recorder")
async def test_a_plugin_hears_every_step_of_a_project_in_order(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    await run_approved_project(workflow_app, fake_github, scripted_model, phases=2)
    assert (await project_of(workflow_app)).status is ProjectStatus.DONE
    assert RECORDER.hooks() == HAPPY
    assert ASYNC_RECORDER.hooks() == HAPPY  # `async def` hooks are awaited alike
    project = await project_of(workflow_app)
    started, ready, approved, *_, done = RECORDER.events
    assert isinstance(started, ProjectStarted) and started.started_by == "writer"
    assert started.project.repository == REPO and started.project.issue_number == 1
    assert started.project.issue_url == f"https://github.com/{REPO}/issues/1"
    assert isinstance(ready, PlanReady) and ready.phases == 2 and ready.approval_required
    assert ready.plan_url.endswith(f"/blob/{project.plan_sha}/.ai-orchestrator/issue-1/plan.yaml")
    assert isinstance(approved, PlanApproved) and approved.approved_by == "writer"
    first, second = app_pulls(fake_github)[:2]
    reviewed = [e for e in RECORDER.events if isinstance(e, PhaseReviewed)]
    assert [(e.phase.number, e.phase.pr_number, e.head_sha) for e in reviewed] == [
        (1, first.number, first.head_sha),
        (2, second.number, second.head_sha),
    ]
    assert all(e.passed and e.verdict == "PASS" and e.findings == 0 for e in reviewed)
    merged = [e for e in RECORDER.events if isinstance(e, PhaseMerged)]
    assert [e.phase.pr_url for e in merged] == [p.pr_url for p in await phases_of(workflow_app)]
    assert [e.merged_by for e in merged] == ["ai-orchestrator"] * 2
    assert isinstance(done, ProjectDone) and done.final_pr_number == project.final_pr_number
    assert (done.phases_merged, done.phases_skipped) == (2, 0)
    assert done.project.spent_usd > 0 and done.project.budget_usd == 10.0
    # one job per event, each delivered once to each plugin, keys unique and never the time
    assert len(await plugin_jobs(workflow_app)) == len(HAPPY)
    rows = await deliveries(workflow_app)
    assert len(rows) == 2 * len(HAPPY) and {r.outcome for r in rows} == {Outcome.DELIVERED}
    assert len({e.key for e in RECORDER.events}) == len(HAPPY)
    assert [e.key for e in RECORDER.events][:3] == [
        f"project_started:{project.id}",
        f"plan_ready:{project.id}:{project.plan_sha}",
        f"plan_approved:{project.id}:{project.plan_sha}",
    ]


async def test_without_plugins_nothing_is_queued_for_them(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    await run_approved_project(workflow_app, fake_github, scripted_model, phases=1)
    assert (await project_of(workflow_app)).status is ProjectStatus.DONE
    assert await plugin_jobs(workflow_app) == [] and RECORDER.events == []


@pytest.mark.plugins("raiser,asleep,stuck,recorder")
async def test_plugins_that_raise_or_hang_do_not_stop_the_project(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    await run_approved_project(workflow_app, fake_github, scripted_model, phases=2)
    assert (await project_of(workflow_app)).status is ProjectStatus.DONE
    assert RECORDER.hooks() == HAPPY  # the plugin after them still hears everything
    assert ASLEEP.calls == STUCK.calls == len(HAPPY)
    jobs = await plugin_jobs(workflow_app)
    assert {job.status for job in jobs} == {JobStatus.DONE} and await job_errors(workflow_app) == []
    outcomes = {(r.plugin, r.outcome) for r in await deliveries(workflow_app)}
    assert outcomes == {
        ("raiser", Outcome.FAILED),
        ("asleep", Outcome.TIMED_OUT),
        ("stuck", Outcome.TIMED_OUT),
        ("recorder", Outcome.DELIVERED),
    }
    [failed, *_] = [r for r in await deliveries(workflow_app) if r.plugin == "raiser"]
    assert failed.error == "RuntimeError: project_started is broken here"


@pytest.mark.plugins("recorder")
async def test_a_red_build_is_told_then_the_fixed_head_reviewed_again(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    ci = fake_github.get_repo(REPO).ci
    assert ci is not None and ci.config is not None
    ci.config.conclude = until_fixed
    set_options(fake_github, AUTO)
    ScriptedProject(phases=1).install(scripted_model)
    script_fix(scripted_model)
    await start_project(workflow_app, fake_github)
    assert RECORDER.hooks() == [
        "project_started",
        "plan_ready",
        "plan_approved",
        "phase_opened",
        "phase_reviewed",
        "ci_failed",
        "phase_reviewed",
        "phase_merged",
        "project_done",
    ]
    [red] = [e for e in RECORDER.events if isinstance(e, CIFailed)]
    first_review = RECORDER.events[4]
    assert isinstance(first_review, PhaseReviewed) and red.head_sha == first_review.head_sha
    assert red.checks == ("test",) and red.fixing
    approved = RECORDER.events[2]
    assert isinstance(approved, PlanApproved) and approved.approved_by == "auto"


@pytest.mark.plugins("recorder")
async def test_the_budget_pause_and_stop_then_an_abort_are_told(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    set_options(fake_github, "budget_usd: 0.02\nplan_approval: auto\n")
    ScriptedProject(phases=3).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    await comment(workflow_app, fake_github, "writer", number, "/approve")
    await comment(workflow_app, fake_github, "writer", number, "/abort")
    await comment(workflow_app, fake_github, "writer", number, "/abort")
    paused = [e for e in RECORDER.events if isinstance(e, BudgetPaused)]
    assert [p.resumable for p in paused] == [True, False]
    assert "Comment /approve to continue" in paused[0].reason
    assert paused[1].reason.startswith("Stopped:") and paused[1].project.spent_usd >= 0.02
    aborted = [e for e in RECORDER.events if isinstance(e, ProjectAborted)]
    assert [e.aborted_by for e in aborted] == ["writer"]  # a second /abort tells no one
    assert RECORDER.hooks()[-1] == "project_aborted"


@pytest.mark.plugins("recorder")
async def test_a_failing_phase_and_a_failing_plan_are_told(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    set_options(fake_github, AUTO)
    ScriptedProject(phases=2).install(scripted_model)
    first = lambda call: str((call.body or {}).get("head", "")).endswith("/phase-1")  # noqa: E731
    fake_github.inject("POST", PULLS, 422, json={"message": "Validation Failed"}, where=first)
    await start_project(workflow_app, fake_github)
    [failed] = [e for e in RECORDER.events if e.hook == "phase_failed"]
    assert failed.phase.number == 1  # type: ignore[attr-defined]
    assert "GitHub answered 422: Validation Failed." in failed.error  # type: ignore[attr-defined]


@pytest.mark.plugins("recorder")
async def test_a_plan_that_cannot_be_committed_fails_the_project_and_is_told(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    ScriptedProject(phases=2).install(scripted_model)
    fake_github.inject("POST", TREES, 422, json={"message": "Validation Failed"})
    await start_project(workflow_app, fake_github)
    assert (await project_of(workflow_app)).status is ProjectStatus.FAILED
    assert RECORDER.hooks() == ["project_started", "project_failed"]
    assert "plan file step failed" in RECORDER.events[-1].error  # type: ignore[attr-defined]
