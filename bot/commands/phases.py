"""The commands about phases and the cache: `/retry`, `/skip` and `/invalidate-cache`."""

from __future__ import annotations

from bot.commands.base import (
    NO_SUCH_PHASE,
    Answer,
    Context,
    aborted,
    named_phase,
    phase_list,
    phases_of,
    refused,
)
from bot.commands.parse import Command
from bot.github.pulls import close_pull
from bot.status import markdown as md
from bot.workflow.phase import enter
from bot.workflow.retry import blocked_now, regenerate_phase, replan, rerun_failed, restart_stopped
from bot.workflow.states import Event, transition
from storage import cache
from storage.cache_keys import parse_key
from storage.db import transaction
from storage.projects import ProjectStatus
from storage.states import FINISHED, PhaseState
from storage.types import utcnow
from storage.workflow import Phase, update_phase

RETRYING = "@{user} phase {phase} starts again (attempt {attempt}).{pull} {removed}{paused}"
ON_PULL = " Its new commit goes on #{pull}, which is reviewed again."
REMOVED = "Removed from the cache: {keys}."
NOTHING_REMOVED = "Nothing was cached for it."
WHEN_RESUMED = " The project is paused: this happens when it goes on."
RERUN = (
    "@{user} running the failed step again ({kind}{where}), with the cache for everything "
    "that did not fail. {removed}{paused}"
)
RESTARTED = "@{user} the project goes on with the options as they are now."
STILL_STOPPED = "@{user} the project is still stopped. {reason}"
PAUSED_BY_PERSON = "@{user} the project is paused: comment /resume to go on."
PAUSED_AT_BUDGET = "@{user} the project is paused at its budget's pause point: comment /approve."
NOTHING_FAILED = (
    "@{user} nothing failed in this project, so there is nothing to retry. "
    "To write a phase again, comment /retry phase-<k>."
)
MERGED_PHASE = (
    "@{user} phase {phase} is merged already (#{pull}): a merged phase cannot be written "
    "again. Its changes are on the integration branch; ask for more in a new issue."
)
SKIPPED_PHASE = (
    "@{user} phase {phase} was skipped and its pull request closed: it cannot be retried."
)
NOT_STARTED = "@{user} phase {phase} has not started yet: nothing to retry."
SKIPPED = "@{user} skipped phase {phase}.{pull}{dependents}"
SKIP_CLOSED = " #{pull} is closed."
DEPENDENTS = " Phases that depend on it go on without it: {numbers}."
SKIPPED_BY = "Skipped by @{user} with /skip."
DEPENDS_ON_SKIPPED = "Depends on phase {phase}, which was skipped."
SKIP_CLOSING = "Closed: @{user} skipped this phase with /skip. The branch and its commits are kept."
ALREADY_SKIPPED = "@{user} phase {phase} is skipped already."
CANNOT_SKIP_MERGED = "@{user} phase {phase} is merged already: it cannot be skipped."
CACHE_USAGE = (
    "@{user} say which cache key: `/invalidate-cache <key>`, e.g. `phase-2-generated_code`."
)
BAD_KEY = "@{user} {problem}"
INVALIDATED = "@{user} invalidated {key}. " + REMOVED
NOT_CACHED = "@{user} nothing is cached under {key} (or what depends on it) in this project."


def _removed(keys: list[str]) -> str:
    return REMOVED.format(keys=", ".join(f"`{k}`" for k in keys)) if keys else NOTHING_REMOVED


def _paused(ctx: Context) -> str:
    return WHEN_RESUMED if ctx.project.paused else ""


async def _regenerate(ctx: Context, phase: Phase) -> Answer:
    user, number = ctx.login, phase.number
    if phase.state == PhaseState.MERGED:
        return refused(MERGED_PHASE.format(user=user, phase=number, pull=phase.pr_number))
    if phase.state == PhaseState.SKIPPED:
        return refused(SKIPPED_PHASE.format(user=user, phase=number))
    if phase.state == PhaseState.PLANNED and phase.attempt == 0 and phase.head_sha is None:
        return refused(NOT_STARTED.format(user=user, phase=number))
    removed = await regenerate_phase(ctx.flow, phase)
    pull = ON_PULL.format(pull=phase.pr_number) if phase.pr_number else ""
    text = RETRYING.format(
        user=user,
        phase=number,
        attempt=phase.attempt + 2,  # attempts count from 1; the stored one from 0
        pull=pull,
        removed=_removed(removed),
        paused=_paused(ctx),
    )
    return Answer(text, changed=True)


async def _rerun(ctx: Context, failed: dict[str, object], phase: Phase | None) -> Answer:
    removed = await rerun_failed(ctx.flow, dict(failed), phase, ctx.tag)
    where = f", phase {phase.number}" if phase is not None else ""
    kind = str(failed["kind"]).replace("_", " ")
    text = RERUN.format(
        user=ctx.login,
        kind=kind,
        where=where,
        removed=_removed(removed) if removed else "",
        paused=_paused(ctx),
    )
    return Answer(text.rstrip(), changed=True)


async def _last_failed(ctx: Context) -> Answer:
    """`/retry` in the issue: the step that failed last (or the stopped project)."""
    project, user = ctx.project, ctx.login
    if project.paused and project.paused_by is not None:
        return refused(PAUSED_BY_PERSON.format(user=user))
    if project.paused and project.pause_resumable:
        return refused(PAUSED_AT_BUDGET.format(user=user))
    if project.paused:
        reason = await restart_stopped(ctx.flow)
        if reason is not None:
            return refused(STILL_STOPPED.format(user=user, reason=reason))
        return Answer(RESTARTED.format(user=user), changed=True)
    if project.status is ProjectStatus.FAILED and project.failed_job:
        return await _rerun(ctx, project.failed_job, None)
    failed = [p for p in await phases_of(ctx) if p.state == PhaseState.FAILED]
    if not failed:
        return refused(NOTHING_FAILED.format(user=user))
    last = max(failed, key=lambda p: p.updated_at)
    if last.failed_job:
        return await _rerun(ctx, last.failed_job, last)
    return await _regenerate(ctx, last)


async def retry(ctx: Context, command: Command) -> Answer:
    """`/retry phase-<k>` writes phase k again; `/retry` alone runs again what failed last (in
    a phase's pull request: that phase's failed step, or the phase written again)."""
    if (refusal := aborted(ctx)) is not None:
        return refusal
    if not command.argument and ctx.phase is None:
        return await _last_failed(ctx)
    phase = await named_phase(ctx, command)
    if isinstance(phase, Answer):
        return phase
    if not command.argument and phase.state == PhaseState.FAILED and phase.failed_job:
        return await _rerun(ctx, phase.failed_job, phase)
    return await _regenerate(ctx, phase)


async def _skip(ctx: Context, phase: Phase) -> list[int]:
    """Marks the phase skipped and flags the phases depending on it; returns their numbers."""
    phases = await phases_of(ctx)
    needing: set[int] = set()
    frontier = {phase.number}
    while frontier:  # what depends on it, directly or through another phase
        frontier = {p.number for p in phases if set(p.depends_on) & frontier} - needing
        needing |= frontier
    flagged = [p for p in phases if p.number in needing and p.state not in FINISHED]
    move = transition(phase.state, Event.SKIP, ctx.flow.rules)
    question = SKIPPED_BY.format(user=ctx.login)
    cleared = {"error": None, "began": None, "failed_job": None}
    async with transaction(ctx.deps.sessions) as session:
        blocked = await blocked_now(session, ctx.project)
        for other in flagged:
            await update_phase(
                session, other, question=DEPENDS_ON_SKIPPED.format(phase=phase.number)
            )
        _, step = await enter(
            session, ctx.project, phase, move, finished_at=utcnow(), question=question, **cleared
        )
        await replan(session, ctx.flow, blocked, step)
    return sorted(p.number for p in flagged)


async def skip(ctx: Context, command: Command) -> Answer:
    if (refusal := aborted(ctx)) is not None:
        return refusal
    phase = await named_phase(ctx, command)
    if isinstance(phase, Answer):
        return phase
    user, number = ctx.login, phase.number
    if phase.state == PhaseState.MERGED:
        return refused(CANNOT_SKIP_MERGED.format(user=user, phase=number))
    if phase.state == PhaseState.SKIPPED:
        return refused(ALREADY_SKIPPED.format(user=user, phase=number))
    pull = ""
    if phase.pr_number is not None:
        closing = SKIP_CLOSING.format(user=user)
        app = await ctx.flow.identity()
        await close_pull(ctx.flow.gh, ctx.flow.repo, phase.pr_number, app=app, comment=closing)
        pull = SKIP_CLOSED.format(pull=phase.pr_number)
    dependents = await _skip(ctx, phase)
    names = ", ".join(str(n) for n in dependents)
    text = SKIPPED.format(
        user=user,
        phase=number,
        pull=pull,
        dependents=DEPENDENTS.format(numbers=names) if names else "",
    )
    return Answer(text, changed=True)


async def invalidate_cache(ctx: Context, command: Command) -> Answer:
    """One cache key of this project, with everything that depends on it."""
    key = command.argument.strip().strip("`")
    if not key:
        return refused(CACHE_USAGE.format(user=ctx.login))
    try:
        parsed = parse_key(key)
    except ValueError as exc:
        return refused(BAD_KEY.format(user=ctx.login, problem=md.inline(str(exc), 300)))
    phases = await phases_of(ctx)
    if parsed.phase is not None and parsed.phase not in {p.number for p in phases}:
        known = phase_list(phases) or "none yet"
        return refused(NO_SUCH_PHASE.format(user=ctx.login, name=parsed.phase, phases=known))
    async with transaction(ctx.deps.sessions) as session:
        removed = await cache.invalidate(session, project_id=ctx.flow.id, key=key)
    if not removed:
        return Answer(NOT_CACHED.format(user=ctx.login, key=md.code(key)))
    keys = ", ".join(f"`{k}`" for k in removed)
    return Answer(INVALIDATED.format(user=ctx.login, key=md.code(key), keys=keys))
