"""`/pause`, `/resume`, `/abort` and `/approve` in a phase's pull request: their effect on the
project's jobs, the reply, the 👀 reaction and the audit row."""

from __future__ import annotations

from bot.commands.control import (
    ABORT_DONE,
    ALREADY_MERGED,
    CLOSED_PULLS,
    CLOSING,
    MERGED,
    NO_PULLS,
    NOT_PAUSED,
    PAUSED,
    PAUSED_BY,
    RESUMED,
)
from bot.workflow.approve import NOTHING_TO_APPROVE
from storage import ledger
from storage.audit import Outcome
from storage.projects import ProjectStatus
from tests.apphelpers import RunningApp
from tests.command_helpers import (
    audit_rows,
    body_of,
    deliver_now,
    reactions,
    reply_to,
    shown,
)
from tests.fakegithub import FakeGitHub
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.inflight import InFlight, step_is
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow_helpers import (
    AUTO,
    app_pulls,
    check_runs_on,
    comment,
    job_errors,
    phases_of,
    project_of,
    reviews_on,
    set_options,
    start_project,
)


async def test_pause_during_a_running_phase_stops_the_next_job_and_resume_goes_on(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
    in_flight: InFlight,
) -> None:
    set_options(fake_github, AUTO)
    ScriptedProject(phases=2).install(scripted_model)
    number = 1  # the issue start_project opens

    async def pause() -> None:
        await deliver_now(workflow_app, fake_github.person_comments("writer", number, "/pause"))
        project = await project_of(workflow_app)
        assert project.paused and project.paused_by == "writer"  # at once, mid-job

    in_flight.when(step_is("developer.phase_files", 1), pause)
    assert await start_project(workflow_app, fake_github) == number
    assert in_flight.fired == ["developer.phase_files:1"]
    # the running job finished its phase's pull request; the review, next, did not start
    [pull] = app_pulls(fake_github)
    assert reviews_on(fake_github, pull.number) == []
    assert check_runs_on(fake_github, pull.head_sha) == []
    assert scripted_model.calls("validator.review") == []
    project = await project_of(workflow_app)
    assert project.status is ProjectStatus.PAUSED
    assert [job["kind"] for job in project.resume_jobs] == ["phase_review"]
    assert reply_to(fake_github, number, "/pause") == PAUSED.format(user="writer")
    assert reactions(fake_github, number, "/pause") == ["eyes"]
    assert PAUSED_BY.format(user="writer") in shown(fake_github, number)
    assert "⏸️" in shown(fake_github, number)

    await comment(workflow_app, fake_github, "maintainer", number, "/resume")
    assert reply_to(fake_github, number, "/resume") == RESUMED.format(user="maintainer")
    assert reactions(fake_github, number, "/resume") == ["eyes"]
    project = await project_of(workflow_app)
    assert project.status is ProjectStatus.DONE and not project.paused
    assert [p.state for p in await phases_of(workflow_app)] == ["merged", "merged"]
    assert reviews_on(fake_github, pull.number) == ["COMMENTED"]
    assert await job_errors(workflow_app) == []
    rows = [(r.actor, r.command, r.outcome, r.location) for r in await audit_rows(workflow_app)]
    assert rows == [
        ("writer", "pause", Outcome.DONE, f"issue #{number}"),
        ("maintainer", "resume", Outcome.DONE, f"issue #{number}"),
    ]
    await comment(workflow_app, fake_github, "writer", number, "/resume")
    assert reply_to(fake_github, number, "/resume") == NOT_PAUSED.format(user="writer")


async def test_abort_stops_the_job_in_flight_and_closes_the_open_pull_requests(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
    in_flight: InFlight,
) -> None:
    set_options(fake_github, AUTO)
    ScriptedProject(phases=2).install(scripted_model)
    number = 1

    async def abort() -> None:
        await deliver_now(workflow_app, fake_github.person_comments("maintainer", 1, "/abort"))
        assert (await project_of(workflow_app)).status is ProjectStatus.ABORTED

    in_flight.when(step_is("validator.review", 1), abort)
    await start_project(workflow_app, fake_github)
    assert in_flight.fired == ["validator.review:1"]
    # the review job stopped at its next step: no review, no check run, no other model call
    [pull] = app_pulls(fake_github)
    assert reviews_on(fake_github, pull.number) == []
    assert check_runs_on(fake_github, pull.head_sha) == []
    assert scripted_model.requests[-1].step == "validator.review"
    assert scripted_model.calls("developer.phase_files")[-1].phase == 1
    # the open pull request closed with a comment; its branch and commits are kept
    assert pull.state == "closed" and not pull.merged
    closing = [body_of(c) for c in fake_github.comments_on(pull.number)]
    assert closing == [CLOSING.format(user="maintainer")]
    assert fake_github.branch_sha(pull.head_ref) == pull.head_sha
    assert fake_github.branch_sha("ai-orchestrator/issue-1") is not None
    closed = CLOSED_PULLS.format(pulls=f"#{pull.number}")
    expected = ABORT_DONE.format(user="maintainer", closed=closed)
    assert reply_to(fake_github, number, "/abort") == expected
    assert reactions(fake_github, number, "/abort") == ["eyes"]
    status = shown(fake_github, number)
    assert "🛑" in status and "Aborted by @maintainer" in status
    [row] = await audit_rows(workflow_app)
    assert (row.actor, row.command, row.outcome, row.result) == (
        "maintainer",
        "abort",
        Outcome.DONE,
        expected,
    )
    # nothing more happens: later jobs do nothing, and other commands are refused
    calls = len(scripted_model.requests)
    await comment(workflow_app, fake_github, "writer", number, "/retry phase-1")
    assert "aborted" in reply_to(fake_github, number, "/retry phase-1")
    assert len(scripted_model.requests) == calls
    assert (await project_of(workflow_app)).status is ProjectStatus.ABORTED


async def test_approve_in_a_pull_request_under_merge_policy_human_merges_it(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    set_options(fake_github, AUTO + "merge_policy: human\n")
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    [first] = app_pulls(fake_github)
    await comment(workflow_app, fake_github, "writer", first.number, "/approve")
    assert first.merged and first.merged_by is not None
    assert first.merged_by.login == fake_github.bot_login
    expected = MERGED.format(user="writer", phase=1, pull=first.number)
    assert reply_to(fake_github, first.number, "/approve") == expected
    assert reactions(fake_github, first.number, "/approve") == ["eyes"]
    one, two = await phases_of(workflow_app)
    assert (one.state, one.merged_by, two.state) == ("merged", "writer", "waiting_human")
    [row] = await audit_rows(workflow_app)
    assert (row.command, row.location, row.outcome) == (
        "approve",
        f"pull request #{first.number}",
        Outcome.DONE,
    )
    # again on the merged one: refused with the reason; in the issue: nothing to approve
    await comment(workflow_app, fake_github, "writer", first.number, "/approve  ")
    refusal = reply_to(fake_github, first.number, "/approve  ")
    assert refusal == ALREADY_MERGED.format(user="writer", phase=1)
    await comment(workflow_app, fake_github, "writer", number, "/approve")
    refusal = reply_to(fake_github, number, "/approve")
    assert refusal == NOTHING_TO_APPROVE.format(user="writer")
    outcomes = [row.outcome for row in await audit_rows(workflow_app)]
    assert outcomes == [Outcome.DONE, Outcome.REFUSED, Outcome.REFUSED]
    assert await job_errors(workflow_app) == []


async def test_abort_during_a_model_call_makes_no_further_call_and_no_commit(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
    in_flight: InFlight,
) -> None:
    set_options(fake_github, AUTO)
    ScriptedProject(phases=2).install(scripted_model)

    async def abort() -> None:
        await deliver_now(workflow_app, fake_github.person_comments("octocat", 1, "/abort"))

    in_flight.when(step_is("developer.phase_files", 1), abort)
    number = await start_project(workflow_app, fake_github)
    assert in_flight.fired == ["developer.phase_files:1"]
    assert scripted_model.requests[-1].step == "developer.phase_files"  # no git.pr_text after
    assert fake_github.branch_sha("ai-orchestrator/issue-1/phase-1") is None
    assert app_pulls(fake_github) == []
    expected = ABORT_DONE.format(user="octocat", closed=NO_PULLS)
    assert reply_to(fake_github, number, "/abort") == expected
    [phase, _] = await phases_of(workflow_app)
    assert phase.state == "coding" and phase.error is None  # stopped, not failed
    assert await job_errors(workflow_app) == []
    # the call that was in flight is paid for: the ledger counts every request the model got
    project = await project_of(workflow_app)
    async with workflow_app.runtime.sessions() as session:
        counted = await ledger.model_calls(session, project_id=project.id)
    assert counted == len(scripted_model.requests)
