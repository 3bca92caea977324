"""The workflow state machine: plan → plan file → (approval) → phases → integration.

Each step is a job (`bot.workflow.steps` names them) run by `workflow_job`, which loads the
project and turns how a step ends into the project's state:
- a budget pause or stop, or a cap, is recorded (with the job, to run again on `/approve`) and
  shown in the status comment; the job ends without a retry;
- a failure that a retry cannot mend (an invalid answer twice, refused paths, a 4xx from
  GitHub) fails the phase (or the plan) at once, with why and how to retry in the status
  comment;
- GitHub's transient failures (5xx, dropped connections, rate limits) are retried by the queue
  for a time budget, the status comment saying meanwhile that GitHub is answering with errors
  (`show_waiting`); a step still failing when the budget is spent is made dead by the queue,
  which then fails the phase the same way (`step_died`);
- any other error is retried by the queue, and on the last attempt fails the phase the same way;
- a step whose worker died during its last attempt (killed, or hung past its lease, each time)
  is made dead by the queue, which then fails the phase the same way (`step_died`).

A failure keeps the job that failed (`failed_job`), which `/retry` runs again. A paused project
starts no job: each one is parked with the project and queued again when it goes on. An aborted
project's jobs do nothing, and the job in flight stops at its next model call or GitHub write.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import gidgethub

from agents.errors import EditError
from agents.redact import scrub
from bot.deps import Deps
from bot.github.errors import refusal_text
from bot.plugins.events import BudgetPaused, PhaseFailed, ProjectFailed
from bot.queue.failures import classify
from bot.queue.worker import JobHandler, JobRegistry, RetryLater, describe_error
from bot.status.comment import ensure_status_comment, show_waiting
from bot.workflow.abort import ProjectAborted
from bot.workflow.budget import WorkflowStop, jobs_cap_notice
from bot.workflow.ci_fix import run_phase_ci_fix
from bot.workflow.code import run_phase_code
from bot.workflow.context import Flow, open_flow
from bot.workflow.errors import TERMINAL, PhaseRefused
from bot.workflow.hooks import digest, tell, tell_phase
from bot.workflow.integrate import run_integrate
from bot.workflow.merge import run_person_merged, run_phase_merge
from bot.workflow.phase import enter, load_phase
from bot.workflow.plan import run_plan
from bot.workflow.plan_commit import run_plan_file
from bot.workflow.recover import run_phase_recover
from bot.workflow.review import run_phase_review
from bot.workflow.revise import run_phase_revise
from bot.workflow.schedule import Next, blocked_notice
from bot.workflow.states import Event, can, transition
from bot.workflow.steps import (
    INTEGRATE,
    PERSON_MERGED,
    PHASE_CI_FIX,
    PHASE_CODE,
    PHASE_MERGE,
    PHASE_RECOVER,
    PHASE_REVIEW,
    PHASE_REVISE,
    PHASE_SYNC,
    PLAN,
    PLAN_FILE,
)
from bot.workflow.sync import run_phase_sync
from storage.db import transaction
from storage.jobs import Job, Retry, counted_attempts
from storage.projects import ProjectStatus, save_project
from storage.states import ProjectStep
from storage.workflow import Phase, project_phases

log = logging.getLogger(__name__)

Step = Callable[[Flow, Job], Awaitable[None]]
# A done project still takes jobs: people may review its last pull request.
ENDED = frozenset({ProjectStatus.ABORTED, ProjectStatus.FAILED})
CAP_WAIT = timedelta(minutes=10)
PHASE_FAILED = "{why} Comment /retry phase-{phase} to try again."
PLAN_FAILED = "The {step} step failed: {why} Comment /retry to try again."
RETRIED = "{why} (after {attempts} attempts)"
DIED = "The {step} job never finished: {why}."

STEPS: dict[str, Step] = {
    PLAN: run_plan,
    PLAN_FILE: run_plan_file,
    PHASE_CODE: run_phase_code,
    PHASE_CI_FIX: run_phase_ci_fix,
    PHASE_REVIEW: run_phase_review,
    PHASE_REVISE: run_phase_revise,
    PHASE_RECOVER: run_phase_recover,
    PHASE_MERGE: run_phase_merge,
    PHASE_SYNC: run_phase_sync,
    PERSON_MERGED: run_person_merged,
    INTEGRATE: run_integrate,
}
# An answer that validated but that our checks refused: its cache entry goes with a `/retry`.
REFUSED_ANSWERS = (PhaseRefused, EditError)


def job_entry(job: Job) -> dict[str, Any]:
    """What a pause or a failure keeps of a job, to queue it again later."""
    return {"kind": job.kind, "args": job.args, "key": job.dedupe_key or job.kind}


async def park(flow: Flow, job: Job) -> None:
    """The project is paused: the job waits with the project, queued again when it goes on."""
    entry = job_entry(job)
    if entry not in flow.project.resume_jobs:
        await flow.save(resume_jobs=[*flow.project.resume_jobs, entry])


async def record_stop(flow: Flow, job: Job, stop: WorkflowStop) -> None:
    """The project pauses (or stops), remembering the job to run again when it goes on."""
    await flow.reload()
    interrupted = job_entry(job)
    async with transaction(flow.deps.sessions) as session:
        project = await save_project(
            session,
            flow.project,
            paused=True,
            pause_reason=str(stop),
            pause_resumable=stop.resumable,
            status=ProjectStatus.PAUSED,
            resume_jobs=[*flow.project.resume_jobs, interrupted],
        )
        flow.project = project
        facts = {"reason": str(stop), "resumable": stop.resumable}
        await tell(session, flow.deps, project, BudgetPaused, project.resumes, **facts)
    await ensure_status_comment(flow.deps, flow.project)


async def record_failure(flow: Flow, job: Job, why: str, *, refused: bool = False) -> None:
    """Fails the job's phase (or the project, for a planning step) and says so; the job is
    kept for `/retry` with the state to go back to (`refused`: its cached answer goes too)."""
    await flow.reload()
    number = job.args.get("phase")
    phase = await load_phase(flow, int(number)) if number is not None else None
    failed = {**job_entry(job), "refused": refused}
    if phase is not None:
        note = PHASE_FAILED.format(why=why, phase=phase.number)
        await fail_phase(flow, phase, note, {**failed, "state": phase.state.value})
    else:
        note = PLAN_FAILED.format(step=job.kind.replace("_", " "), why=why)
        await _fail_project(flow, note, failed)
    await ensure_status_comment(flow.deps, flow.project)


async def _fail_project(flow: Flow, note: str, failed: dict[str, Any]) -> None:
    project = flow.project
    before = {"status": project.status.value, "step": project.step.value}
    async with transaction(flow.deps.sessions) as session:
        flow.project = await save_project(
            session,
            project,
            status=ProjectStatus.FAILED,
            step=ProjectStep.FAILED,
            error=note,
            failed_job=failed | before,
        )
        key = digest(str(failed["key"]))
        await tell(session, flow.deps, flow.project, ProjectFailed, key, error=note)


async def fail_phase(
    flow: Flow, phase: Phase, note: str, failed_job: dict[str, Any] | None = None
) -> None:
    """Fails the phase; phases that do not need it go on, and those that do are named. A
    finished phase stays finished: a job failing after the merge cannot undo it."""
    if not can(phase.state, Event.STEP_FAILED):
        log.warning("phase %s is %s: the failure is logged only", phase.number, phase.state)
        return
    move = transition(phase.state, Event.STEP_FAILED, flow.rules)
    async with transaction(flow.deps.sessions) as session:
        changes: dict[str, Any] = {"error": note, "began": None, "failed_job": failed_job}
        phase, step = await enter(session, flow.project, phase, move, **changes)
        why = digest(str((failed_job or {}).get("key") or note))
        deps, project = flow.deps, flow.project
        await tell_phase(session, deps, project, PhaseFailed, phase, phase.attempt, why, error=note)
        if step is Next.BLOCKED:
            phases = await project_phases(session, project_id=flow.id)
            flow.project = await save_project(session, flow.project, notice=blocked_notice(phases))


async def _cap(flow: Flow) -> None:
    notice = await jobs_cap_notice(flow.deps.sessions, flow.id, flow.options)
    if notice is None:
        return
    if flow.project.notice != notice:
        await flow.save(notice=notice)
        await ensure_status_comment(flow.deps, flow.project)
    raise RetryLater(CAP_WAIT, notice)


async def _run(step: Step, flow: Flow, job: Job) -> None:
    try:
        await step(flow, job)
    except ProjectAborted:
        log.info("project %s was aborted: job %s stops here", flow.id, job.kind)
    except WorkflowStop as stop:
        log.info("project %s stopped: %s", flow.id, stop)
        await record_stop(flow, job, stop)
    except TERMINAL as exc:
        log.warning("job %s failed for good: %s", job.kind, exc)
        why, refused = scrub(str(exc)), isinstance(exc, REFUSED_ANSWERS)  # shown on GitHub
        await record_failure(flow, job, why, refused=refused)
    except RetryLater:
        raise
    except Exception as exc:
        retry = classify(exc).retry
        if retry is Retry.NEVER:  # GitHub refused: the same request gets the same answer
            assert isinstance(exc, gidgethub.HTTPException)
            log.warning("job %s failed for good: %s", job.kind, describe_error(exc))
            await _report(flow, job, scrub(refusal_text(exc)))
            return
        # Transient failures are the queue's to retry, or report (`step_died`), by time.
        if retry is Retry.COUNTED and counted_attempts(job) >= job.max_attempts:
            attempts = counted_attempts(job)
            await _report(flow, job, RETRIED.format(why=describe_error(exc), attempts=attempts))
        raise


async def _report(flow: Flow, job: Job, why: str) -> None:
    try:
        await record_failure(flow, job, why)
    except Exception:  # the error being reported matters more than this one
        log.exception("could not record the failure of job %s", job.kind)


def workflow_job(step: Step) -> JobHandler:
    async def run(job: Job, deps: Any) -> None:
        assert isinstance(deps, Deps)
        flow = await open_flow(deps, int(job.args["project_id"]))
        if flow is None or flow.project.status in ENDED:
            return
        if flow.project.paused:
            await park(flow, job)
            return
        await _cap(flow)
        await _run(step, flow, job)

    return run


async def step_died(job: Job, deps: Any) -> None:
    """The queue gave up on a step whose worker died in each attempt: the step never reached
    its own failure handling, so its phase (or the plan) is failed here, with why."""
    assert isinstance(deps, Deps)
    flow = await open_flow(deps, int(job.args["project_id"]))
    if flow is None or flow.project.status in ENDED:
        return
    why = DIED.format(step=job.kind.replace("_", " "), why=job.last_error or "its worker stopped")
    await record_failure(flow, job, why)


def register(registry: JobRegistry) -> None:
    """Adds every workflow step to the worker's registry (the `plan` job included)."""
    for kind, step in STEPS.items():
        registry.add(kind, workflow_job(step), on_dead=step_died, on_wait=show_waiting)
