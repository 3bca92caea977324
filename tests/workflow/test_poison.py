"""A step that kills its worker every time (kill -9 in the same place on each attempt) is not
retried forever: after its attempts, reclaims included, the job is dead and its phase failed,
with why and how to retry in the status comment."""

from __future__ import annotations

from sqlmodel import select

from storage.jobs import Job, JobStatus
from storage.states import PhaseState
from storage.workflow import Phase
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub, Killed
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow_helpers import expire_leases, phases_of, start_project, status_text

TREES = "/repos/{owner}/{repo}/git/trees"
KILLS = 12  # more than any job's attempts: the ones left over must never be reached


async def code_jobs(app: RunningApp) -> list[Job]:
    async with app.runtime.sessions() as session:
        return list((await session.exec(select(Job).where(Job.kind == "phase_code"))).all())


async def settle_through_kills(app: RunningApp, fake: FakeGitHub) -> int:
    """Runs the app as a supervisor would, restarting the worker after each kill (its leases
    then run out) until nothing is left to do; returns how many times it was killed."""
    kills = 0
    while True:
        try:
            await app.settle(fake)
        except Killed:
            kills += 1
            await expire_leases(app)
            continue
        return kills


async def test_a_phase_whose_job_kills_its_worker_every_time_fails_with_why(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    for _ in range(KILLS):  # every commit of phase 1's code kills the worker
        fake_github.kill_at("POST", TREES, applied=False)
    await workflow_app.deliver(*fake_github.person_comments("writer", number, "/approve"))
    kills = await settle_through_kills(workflow_app, fake_github)

    [job] = await code_jobs(workflow_app)
    attempts = job.max_attempts
    assert (job.status, job.attempts, kills) == (JobStatus.DEAD, attempts, attempts)
    first: Phase = (await phases_of(workflow_app))[0]
    assert first.state is PhaseState.FAILED
    text = status_text(fake_github, number)
    assert f"stopped during attempt {attempts} of {attempts}" in text
    assert "/retry phase-1" in text
