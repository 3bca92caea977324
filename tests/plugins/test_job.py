"""The `plugin_event` job records what each plugin was given, so the job run again after its
worker died notifies no plugin twice for the same event: only the call the crash interrupted
is made again, since nothing could be recorded of it."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot.plugins.job import run_plugin_event
from storage.jobs import Job, JobStatus
from storage.plugin_deliveries import Outcome, PluginDelivery
from storage.projects import ProjectStatus
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.plugins.sample import ASYNC_RECORDER, CRASHER, RECORDER
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow_helpers import AUTO, project_of, set_options, settle_through_a_kill

EVENTS = [
    "project_started",
    "plan_ready",
    "plan_approved",
    "phase_opened",
    "phase_reviewed",
    "phase_merged",
    "project_done",
]


async def rows(app: RunningApp) -> list[PluginDelivery]:
    async with app.runtime.sessions() as session:
        statement = select(PluginDelivery).order_by(col(PluginDelivery.id))
        return list((await session.exec(statement)).all())


@pytest.mark.plugins("recorder,crasher,async_recorder")
async def test_a_job_run_again_after_a_crash_does_not_notify_twice(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    set_options(fake_github, AUTO)
    ScriptedProject(phases=1).install(scripted_model)
    _, opened = fake_github.person_opens_issue("octocat", "Back office", "Orders.")
    number = int(opened["issue"]["number"])
    await workflow_app.deliver(
        *fake_github.person_labels_issue("writer", number, "ai-orchestrator")
    )
    # the worker dies in the crasher's `phase_merged` call: the recorder before it was told
    await settle_through_a_kill(workflow_app, fake_github)
    assert (await project_of(workflow_app)).status is ProjectStatus.DONE
    assert RECORDER.hooks() == EVENTS  # phase_merged once, though its job ran twice
    assert ASYNC_RECORDER.hooks() == EVENTS
    assert CRASHER.calls == 2  # the interrupted call, made again
    found = await rows(workflow_app)
    pairs = [(row.event_key, row.plugin) for row in found]
    assert len(pairs) == len(set(pairs)) == 2 * len(EVENTS) + 1
    assert {row.outcome for row in found} == {Outcome.DELIVERED}
    async with workflow_app.runtime.sessions() as session:
        statement = select(Job).where(col(Job.kind) == "plugin_event")
        jobs = list((await session.exec(statement)).all())
    [merged] = [job for job in jobs if job.args["hook"] == "phase_merged"]
    assert (merged.status, merged.attempts) == (JobStatus.DONE, 2)
    # and any further run of a finished job's event is a no-op for every plugin
    assert workflow_app.runtime.deps is not None
    for job in jobs:
        await run_plugin_event(job, workflow_app.runtime.deps)
    assert RECORDER.hooks() == EVENTS and CRASHER.calls == 2
    assert len(await rows(workflow_app)) == len(found)
