"""GitHub under load never fails a phase, nor doubles an artefact.

The fake GitHub answers a seeded random share of requests with errors (`fake.faults`): 30% of
writes applied and answered 500 or 502, or 20% of all requests answered 500, 502 or a
secondary-limit 403. The client repeats what is safe to repeat, the queue retries the rest by
time (jobs made runnable at once here, `retry_now`), and the find-or-create rules find what a
lost answer hid: the project completes with one of each artefact. A refusal (404, 422) fails
its phase at once, and a job failing on GitHub's errors past its budget says so and how to
retry. The GitHub client's waits are recorded (`github_sleeps`), not slept.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot.status.view import GITHUB_WAITING
from storage.db import transaction
from storage.jobs import Job, JobStatus
from storage.projects import ProjectStatus
from storage.types import utcnow
from storage.workflow import Phase
from tests.apphelpers import RunningApp
from tests.command_helpers import reply_to
from tests.fakegithub import FakeGitHub
from tests.fakegithub.faults import SERVER_ERRORS, WRITES, Faults, secondary_limit
from tests.fakegithub.router import Call
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow_helpers import (
    AUTO,
    INTEGRATION,
    REPO,
    app_pulls,
    check_runs_on,
    comment,
    job_errors,
    phases_of,
    project_of,
    retry_now,
    reviews_on,
    run_until,
    set_options,
    start_project,
    status_comments,
    status_text,
)

PHASES = 3
PULLS = "/repos/{owner}/{repo}/pulls"
RETRY_AFTER = 3


async def settle_through_faults(app: RunningApp, fake: FakeGitHub, *, rounds: int = 80) -> None:
    """Runs the app until the project ends, failed jobs made runnable at once each round."""
    for _ in range(rounds):
        await app.settle(fake)
        if (await project_of(app)).status in (ProjectStatus.DONE, ProjectStatus.FAILED):
            return
        await retry_now(app)
    raise AssertionError(f"the project did not end in {rounds} rounds: {await job_errors(app)}")


async def run_faulty_project(app: RunningApp, fake: FakeGitHub, model: ScriptedModel) -> int:
    ScriptedProject(phases=PHASES).install(model)
    number = await start_project(app, fake)
    await settle_through_faults(app, fake)
    return number


async def assert_completed_once(
    app: RunningApp, fake: FakeGitHub, number: int, *, phases: int = PHASES
) -> None:
    """The final pull request, and exactly one of each artefact: a branch and a pull request
    per phase, a validator review and a check run per reviewed head, one status comment."""
    dead = [e for e in await job_errors(app) if e[1] == JobStatus.DEAD.value]
    assert dead == []
    project = await project_of(app)
    assert project.status is ProjectStatus.DONE
    assert [p.state for p in await phases_of(app)] == ["merged"] * phases
    branches = sorted(r for r in fake.get_repo(REPO).refs if "ai-orchestrator" in r)
    phase_branches = [f"{INTEGRATION}/phase-{k}" for k in range(1, phases + 1)]
    assert branches == sorted(f"refs/heads/{b}" for b in [INTEGRATION, *phase_branches])
    *phase_pulls, final = app_pulls(fake)
    assert [p.head_ref for p in phase_pulls] == phase_branches
    assert (final.head_ref, final.number) == (INTEGRATION, project.final_pr_number)
    for pull in phase_pulls:
        assert pull.merged
        assert reviews_on(fake, pull.number) == ["COMMENTED"]
        assert check_runs_on(fake, pull.head_sha) == ["success"]
    assert len(status_comments(fake, number)) == 1
    status = status_text(fake, number)
    assert "Final pull request" in status and GITHUB_WAITING not in status


async def test_a_project_completes_while_30_percent_of_writes_fail_after_applying(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    """Issue 15's run: 30% of writes applied, then answered 500 or 502, as GitHub under load."""
    set_options(fake_github, AUTO)
    faults = fake_github.faults(
        rate=0.3, replies=SERVER_ERRORS, methods=WRITES, applied=True, seed=7
    )
    number = await run_faulty_project(workflow_app, fake_github, scripted_model)
    assert_faults_met(faults, ("POST", "PATCH"))
    await assert_completed_once(workflow_app, fake_github, number)


async def test_a_project_completes_while_20_percent_of_requests_fail(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
    github_sleeps: list[float],
) -> None:
    """Issue 16's run: 20% of all requests answered 500, 502 or a secondary-limit 403; the
    client waits `retry-after` on the secondary limit."""
    set_options(fake_github, AUTO)
    replies = (*SERVER_ERRORS, secondary_limit(RETRY_AFTER))
    faults = fake_github.faults(rate=0.2, replies=replies, seed=16)
    number = await run_faulty_project(workflow_app, fake_github, scripted_model)
    assert_faults_met(faults, ("GET", "POST"), statuses=(500, 502, 403))
    await assert_completed_once(workflow_app, fake_github, number)
    assert github_sleeps.count(float(RETRY_AFTER)) == sum(s == 403 for *_, s in faults.hits)


def assert_faults_met(
    faults: Faults, methods: tuple[str, ...], statuses: tuple[int, ...] = (500, 502)
) -> None:
    """The outage did happen, to the methods and with the answers the test is about."""
    assert len(faults.hits) >= 10
    assert {m for m, *_ in faults.hits} >= set(methods)
    assert {s for *_, s in faults.hits} == set(statuses)


def phase_one_pull(call: Call) -> bool:
    return str((call.body or {}).get("head", "")).endswith("/phase-1")


@pytest.mark.parametrize(
    ("status", "message"),
    [(404, "Not Found"), (422, "Validation Failed")],
)
async def test_a_refusal_from_github_fails_the_phase_at_once(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
    status: int,
    message: str,
) -> None:
    set_options(fake_github, AUTO)
    ScriptedProject(phases=2).install(scripted_model)
    fake_github.inject("POST", PULLS, status, json={"message": message}, where=phase_one_pull)
    number = await start_project(workflow_app, fake_github)
    first, _ = await phases_of(workflow_app)
    assert first.state == "failed"
    assert fake_github.calls("POST", PULLS) == 1  # one attempt, no retry
    async with workflow_app.runtime.sessions() as session:
        [job] = (await session.exec(select(Job).where(col(Job.kind) == "phase_code"))).all()
    assert job.attempts == 1
    status_shown = status_text(fake_github, number)
    assert f"GitHub answered {status}: {message}." in status_shown
    assert "/retry phase-1" in status_shown


async def test_the_status_comment_says_github_is_failing_until_it_answers_again(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    set_options(fake_github, AUTO)
    ScriptedProject(phases=2).install(scripted_model)
    fake_github.inject(
        "POST", PULLS, 502, json={"message": "Bad Gateway"}, times=3, where=phase_one_pull
    )
    number = await start_project(workflow_app, fake_github)
    assert GITHUB_WAITING in status_text(fake_github, number)
    await retry_now(workflow_app)
    await workflow_app.settle(fake_github)
    assert GITHUB_WAITING in status_text(fake_github, number)  # two failures so far, still on
    await settle_through_faults(workflow_app, fake_github)
    assert fake_github.calls("POST", PULLS) >= 4  # the three failures, then GitHub answered
    await assert_completed_once(workflow_app, fake_github, number, phases=2)


async def test_a_job_failing_on_github_past_its_budget_says_why_and_how_to_retry(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    """While GitHub fails the pull request, the status comment says it retries, and /health
    counts the job; when the budget is spent the phase fails with why and how to retry, and
    `/retry phase-1` once GitHub is back finishes the project."""
    set_options(fake_github, AUTO)
    ScriptedProject(phases=2).install(scripted_model)
    down = [True]
    fake_github.inject(
        "POST",
        PULLS,
        502,
        json={"message": "Bad Gateway"},
        times=10_000,
        where=lambda call: down[0] and phase_one_pull(call),
    )
    number = await start_project(workflow_app, fake_github)
    for _ in range(3):
        await retry_now(workflow_app)
        await workflow_app.settle(fake_github)
    assert GITHUB_WAITING in status_text(fake_github, number)
    health = (await workflow_app.client.get("/health")).json()
    assert health["jobs_waiting_on_github"] == 1 and health["jobs_dead"] == 0
    first, _ = await phases_of(workflow_app)
    assert first.state == "coding"  # not failed: GitHub is having a bad few minutes

    async with transaction(workflow_app.runtime.sessions) as session:  # ...for over an hour
        began = utcnow() - timedelta(minutes=61)
        waiting = col(Job.transient_since).is_not(None)
        await session.exec(update(Job).where(waiting).values(transient_since=began))
    await retry_now(workflow_app)
    await workflow_app.settle(fake_github)
    first, _ = await phases_of(workflow_app)
    assert first.state == "failed"
    status = status_text(fake_github, number)
    assert "GitHub kept answering with errors for 1 h 1 min" in status
    assert "GitHubBroken: Bad Gateway" in status and "/retry phase-1" in status
    assert GITHUB_WAITING not in status
    assert (await workflow_app.client.get("/health")).json()["jobs_waiting_on_github"] == 0

    down[0] = False
    await comment(workflow_app, fake_github, "writer", number, "/retry phase-1")
    assert (await project_of(workflow_app)).final_pr_number is not None
    assert len([p for p in app_pulls(fake_github) if p.head_ref.endswith("/phase-1")]) == 1


async def outage_outlasts_the_budget(app: RunningApp, fake: FakeGitHub) -> None:
    """The jobs GitHub is failing began to fail 61 minutes ago; they run once more."""
    async with transaction(app.runtime.sessions) as session:
        began = utcnow() - timedelta(minutes=61)
        waiting = col(Job.transient_since).is_not(None)
        await session.exec(update(Job).where(waiting).values(transient_since=began))
    await retry_now(app)
    await app.settle(fake)


async def test_a_command_that_github_fails_past_its_budget_is_answered_with_why(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    """`/abort` cannot close the phase's pull request while GitHub answers 502 for an hour:
    the person is told in the comment's reply that it did not finish, why, and what to do."""
    set_options(fake_github, AUTO)
    ScriptedProject(phases=2).install(scripted_model)
    _, opened = fake_github.person_opens_issue("octocat", "Orders", "Orders and invoices.")
    number = int(opened["issue"]["number"])
    await workflow_app.deliver(
        *fake_github.person_labels_issue("writer", number, "ai-orchestrator")
    )

    async def phase_one_opened() -> bool:
        async with workflow_app.runtime.sessions() as session:
            pulls = (await session.exec(select(Phase.pr_number).where(Phase.number == 1))).all()
        return pulls not in ([], [None])

    await run_until(workflow_app, fake_github, phase_one_opened)  # and no further
    assert (await project_of(workflow_app)).status is ProjectStatus.RUNNING
    pull = "/repos/{owner}/{repo}/pulls/{pull_number}"
    fake_github.inject("PATCH", pull, 502, json={"message": "Bad Gateway"}, times=10_000)
    await comment(workflow_app, fake_github, "writer", number, "/abort")
    async with workflow_app.runtime.sessions() as session:
        [job] = (await session.exec(select(Job).where(Job.kind == "command"))).all()
    assert (job.status, job.transient_since is not None) == (JobStatus.QUEUED, True)

    await outage_outlasts_the_budget(workflow_app, fake_github)
    reply = reply_to(fake_github, number, "/abort")
    assert "`/abort` did not finish: GitHub kept answering with errors for 1 h 1 min" in reply
    assert "GitHubBroken: Bad Gateway" in reply and "Comment it again to retry." in reply
