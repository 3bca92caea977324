"""Starting work again after it failed or stopped, for `/retry`:
- a phase regenerated from scratch (`/retry phase-<k>`): its cached code and what depends on it
  (its review, the integration summary) are invalidated, nothing else, and the phase runs again:
  on its branch and pull request when it has them (`bot.workflow.regenerate`);
- the job that failed, run again with the cache for everything that did not fail (an answer
  our checks refused is dropped from the cache, or the retry would get it again);
- a project stopped by its budget or the model-call cap, after the options file was raised.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.github.git import default_branch
from bot.workflow.approve import resume
from bot.workflow.budget import CALLS_CAP, EXHAUSTED
from bot.workflow.code import COMMIT
from bot.workflow.context import Flow, runtime_for
from bot.workflow.facts import read_options
from bot.workflow.phase import enter
from bot.workflow.regenerate import REGENERATE
from bot.workflow.schedule import Next, blocked_notice
from bot.workflow.states import Event, transition
from bot.workflow.steps import PHASE_CI_FIX, PHASE_CODE, PHASE_RECOVER, PHASE_REVIEW, PHASE_REVISE
from storage import cache, ledger
from storage.cache_keys import phase_code_key, phase_review_key
from storage.db import transaction
from storage.jobs import NewJob, enqueue
from storage.money import format_usd
from storage.projects import Project, ProjectStatus, save_project
from storage.states import PhaseState, ProjectStep
from storage.workflow import Phase, project_phases

# The stage whose cached answer a refused job got, by the job's kind.
STAGE_OF = {
    PHASE_CODE: phase_code_key,
    PHASE_CI_FIX: phase_code_key,
    PHASE_REVISE: phase_code_key,
    PHASE_REVIEW: phase_review_key,
    PHASE_RECOVER: phase_review_key,
}


async def replan(
    session: AsyncSession, flow: Flow, blocked_before: str | None, step: Next | None
) -> None:
    """After a move that advanced the schedule to `step` (in the caller's transaction): a
    notice that the project was blocked (`blocked_before`, from `blocked_now`) goes when it
    no longer is, and one comes when it is."""
    phases = await project_phases(session, project_id=flow.id)
    notice = flow.project.notice
    if step is Next.BLOCKED:
        notice = blocked_notice(phases)
    elif notice is not None and notice == blocked_before:
        notice = None
    flow.project = await save_project(session, flow.project, notice=notice)


async def blocked_now(session: AsyncSession, project: Project) -> str:
    """The notice the project shows if it is blocked now."""
    assert project.id is not None
    return blocked_notice(await project_phases(session, project_id=project.id))


async def regenerate_phase(flow: Flow, phase: Phase) -> list[str]:
    """Invalidates the phase's code with what depends on it and starts the phase again (a new
    attempt, so the jobs of the old one do nothing); returns the cache keys removed."""
    changes: dict[str, Any] = {
        "attempt": phase.attempt + 1,
        "pr_body": "",
        "error": None,
        "question": "",
        "failed_job": None,
        "revisions": 0,
        "recoveries": 0,
        "ci_fixes": 0,  # `/retry phase-k` starts the CI rounds again from zero
        "ci_rounds": [],
        "ci_reruns": [],
        "guidance": "",
    }
    if phase.pr_number is not None:
        changes["began"] = REGENERATE
    else:  # no pull request yet: written again, and committed from the branch's head if any
        changes |= {"began": COMMIT if phase.head_sha else None, "head_sha": None}
    move = transition(phase.state, Event.RETRY_PHASE, flow.rules)
    async with transaction(flow.deps.sessions) as session:
        blocked = await blocked_now(session, flow.project)
        key = phase_code_key(phase.number)
        removed = await cache.invalidate(session, project_id=flow.id, key=key)
        _, step = await enter(session, flow.project, phase, move, **changes)
        await replan(session, flow, blocked, step)
    return removed


async def rerun_failed(
    flow: Flow, failed: dict[str, Any], phase: Phase | None, tag: str
) -> list[str]:
    """Queues the failed job again (under a new key) and puts the phase (or the project) back
    in the state it failed from; returns the cache keys removed (only for a refused answer)."""
    removed: list[str] = []
    async with transaction(flow.deps.sessions) as session:
        blocked = await blocked_now(session, flow.project)
        stage = STAGE_OF.get(failed["kind"])
        if failed.get("refused") and stage is not None and phase is not None:
            key = stage(phase.number)
            removed = await cache.invalidate(session, project_id=flow.id, key=key)
        await enqueue(
            session,
            NewJob(
                kind=failed["kind"],
                args=failed["args"],
                project_id=flow.id,
                dedupe_key=f"{failed['key']}:retry-{tag}"[:255],
            ),
        )
        if phase is not None:
            before = PhaseState(failed["state"])
            move = transition(phase.state, Event.RETRY_STEP, flow.rules, before=before)
            cleared = {"error": None, "failed_job": None}
            _, step = await enter(session, flow.project, phase, move, **cleared)
            await replan(session, flow, blocked, step)
        else:
            flow.project = await save_project(
                session,
                flow.project,
                status=ProjectStatus(failed["status"]),
                step=ProjectStep(failed["step"]),
                error=None,
                failed_job=None,
            )
    return removed


async def refresh_options(flow: Flow) -> None:
    """Reads the options again from the default branch (a person raised a limit), with what
    they inherit."""
    branch = await default_branch(flow.gh, flow.repo)
    loaded = await read_options(flow, branch.sha)
    await flow.save(
        options=loaded.snapshot(),
        options_problem=loaded.problem,
        budget_nanousd=loaded.options.budget_nanousd,
    )
    flow.options = loaded.options
    assert flow.deps.agents is not None
    flow.rt = runtime_for(flow.deps.agents, loaded.options.models)


async def restart_stopped(flow: Flow) -> str | None:
    """Goes on after a stop at the budget or the model-call cap, with the options as they are
    now; the reason it cannot, when a limit is still reached."""
    await refresh_options(flow)
    async with flow.deps.sessions() as session:
        spent = await ledger.project_spend_nanousd(session, project_id=flow.id)
        calls = await ledger.model_calls(session, project_id=flow.id)
    options = flow.options
    if spent >= options.budget_nanousd:
        budget = format_usd(options.budget_nanousd)
        return EXHAUSTED.format(spent=format_usd(spent), budget=budget, percent=100)
    if calls >= options.max_model_calls:
        return CALLS_CAP.format(calls=calls)
    await resume(flow, approve_budget=False)
    return None
