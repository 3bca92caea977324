"""CI on a phase's head commit, as the merge step reads it, and what a red build leads to.

- Nothing counts yet: within `ci.grace_seconds` of the push the phase waits (and looks again
  when the window ends); after it, the repository has no CI and the phase may merge.
- A failure of GitHub's infrastructure (`timed_out`, `cancelled`, `startup_failure`) is re-run
  once through `rerun-failed-jobs` before anything else.
- `action_required`: the run waits for a person's approval; the status comment names it.
- Any other failure goes back to the developer agent (`phase_ci_fix`), up to `ci.max_fixes`
  times, then the manager's recovery decides.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.files.ci_workflow import WORKFLOW_PATH
from bot.files.triggers import runs_for_pull
from bot.github.actions import (
    NoActionsAccess,
    rerun_failed_jobs,
    run_of_suite,
    workflow_paths,
    workflow_run_id,
)
from bot.github.ci import (
    ACTIONS_SLUG,
    INFRASTRUCTURE,
    NEEDS_PERSON,
    Check,
    CIReport,
    Counting,
    ci_report,
    required_contexts,
)
from bot.github.git import read_file
from bot.plugins.events import CIFailed
from bot.status.comment import ensure_status_comment
from bot.workflow.context import Flow
from bot.workflow.hooks import tell_phase
from bot.workflow.phase import enter, save_phase, target
from bot.workflow.states import Event, transition
from storage.ci_apps import ci_app_ids, remember_ci_app
from storage.db import transaction
from storage.types import utcnow
from storage.workflow import Phase

log = logging.getLogger(__name__)

WAITING_TO_START = "Waiting for CI to start (up to {seconds} s after the push)."
RERUNNING = "CI re-running {names} once ({conclusions}): GitHub's side failed, not the code."
CANNOT_RERUN = (
    "CI failed on GitHub's side ({names}) and the app may not re-run it (it lacks the "
    "`actions: write` permission): re-run it on GitHub, or comment /retry phase-{phase}."
)
APPROVAL = "CI waits for a person to approve its run: {names} ({links})."
FIXING = "CI failed: {names} — fixing ({round} of {rounds})."
NO_FIX_LEFT = "CI failed: {names}, after {rounds} fixes: the manager decides what to do."


async def _actions_expected(flow: Flow, phase: Phase) -> bool:
    """Whether a workflow runs for this phase's pull request: the app's own templated one
    (on the integration branch), or one of the default branch's."""
    if flow.project.ci_workflow == WORKFLOW_PATH:
        return True
    branch = flow.project.default_branch or "main"
    where = target(flow, phase)
    for path in await workflow_paths(flow.gh, flow.repo):
        text = await read_file(flow.gh, flow.repo, path, branch)
        if text is not None and runs_for_pull(text, base=where.base, head=where.branch):
            return True
    return False


async def read_ci(flow: Flow, phase: Phase, sha: str) -> CIReport:
    """The checks that count on `sha`; the Apps seen reporting are remembered for next time."""
    base = target(flow, phase).base
    required = await required_contexts(flow.gh, flow.repo, base)
    async with flow.deps.sessions() as session:
        known = await ci_app_ids(session, repo_id=flow.project.repo_id)

    async def expected() -> bool:
        return await _actions_expected(flow, phase)

    counting = Counting(
        own_app_id=flow.deps.settings.github_app_id,
        known_apps=known,
        required=required | set(flow.options.ci.required_checks),
        actions_expected=expected,
    )
    report = await ci_report(flow.gh, flow.repo, sha, counting)
    new = [(app_id, slug) for app_id, slug in report.apps if app_id not in known]
    if new:
        async with transaction(flow.deps.sessions) as session:
            for app_id, slug in new:
                await remember_ci_app(
                    session, repo_id=flow.project.repo_id, app_id=app_id, slug=slug
                )
    return report


def grace_left(flow: Flow, phase: Phase) -> timedelta:
    """How much of the grace window after the head's push is left (none for a head whose
    push time is unknown: it was pushed before this was recorded)."""
    if phase.pushed_at is None:
        return timedelta(0)
    window = timedelta(seconds=flow.options.ci.grace_seconds)
    return max(timedelta(0), phase.pushed_at + window - utcnow())


async def wait_for_start(flow: Flow, phase: Phase, sha: str, left: timedelta) -> None:
    """Nothing reported yet: look again when the grace window ends (or when CI reports)."""
    note = WAITING_TO_START.format(seconds=flow.options.ci.grace_seconds)
    move = transition(phase.state, Event.CI_GRACE, flow.rules)
    async with transaction(flow.deps.sessions) as session:
        await enter(session, flow.project, phase, move, "grace", sha=sha, run_after=left)
    await show(flow, phase, note, Event.CI_GRACE)


async def show(flow: Flow, phase: Phase, note: str, event: Event) -> None:
    """The phase shows why it waits, in the state `event` moves it to (one edit at most)."""
    state = transition(phase.state, event, flow.rules).state
    if phase.question == note and phase.state == state:
        return
    await save_phase(flow, phase, question=note, state=state)
    await ensure_status_comment(flow.deps, flow.project)


def _names(checks: tuple[Check, ...] | list[Check]) -> str:
    return ", ".join(sorted({check.name for check in checks}))


async def answer_red_build(flow: Flow, phase: Phase, sha: str, report: CIReport) -> None:
    failing = report.failing
    infra = [c for c in failing if c.conclusion in INFRASTRUCTURE and c.app_slug == ACTIONS_SLUG]
    if infra and await _rerun_once(flow, phase, infra):
        return
    waiting = [c for c in failing if c.conclusion == NEEDS_PERSON]
    if waiting:
        links = ", ".join([await _link(flow, c) for c in waiting])
        await show(
            flow, phase, APPROVAL.format(names=_names(waiting), links=links), Event.CI_NEEDS_PERSON
        )
        return
    await _to_developer(flow, phase, sha, failing)


async def _run_of(flow: Flow, check: Check) -> tuple[int, str | None] | None:
    """The Actions workflow run behind a check: from its job, or from its suite when the run
    ended before any job (id, web address when known)."""
    if check.run_id is not None:
        run = await workflow_run_id(flow.gh, flow.repo, check.run_id, check.details_url)
        return run, check.details_url
    if check.suite_id is not None:
        return await run_of_suite(flow.gh, flow.repo, check.suite_id)
    return None


async def _link(flow: Flow, check: Check) -> str:
    if check.details_url:
        return check.details_url
    found = await _run_of(flow, check) if check.app_slug == ACTIONS_SLUG else None
    return (found[1] if found else None) or check.name


async def _rerun_once(flow: Flow, phase: Phase, infra: list[Check]) -> bool:
    """Re-runs each workflow run's failed jobs once; False when every run was re-run before
    (the failure then goes to the developer like any other)."""
    runs: dict[int, Check] = {}
    for check in infra:
        found = await _run_of(flow, check)
        if found is not None and found[0] not in phase.ci_reruns:
            runs.setdefault(found[0], check)
    if not runs:
        return False
    names, conclusions = (
        _names(list(runs.values())),
        ", ".join(sorted({str(c.conclusion) for c in runs.values()})),
    )
    try:
        for run in runs:
            await rerun_failed_jobs(flow.gh, flow.repo, run)
    except NoActionsAccess:
        note = CANNOT_RERUN.format(names=names, phase=phase.number)
        await show(flow, phase, note, Event.CI_NEEDS_PERSON)
        return True
    phase = await save_phase(flow, phase, ci_reruns=[*phase.ci_reruns, *runs])
    note = RERUNNING.format(names=names, conclusions=conclusions)
    await show(flow, phase, note, Event.CI_RERUN)
    return True


async def _to_developer(flow: Flow, phase: Phase, sha: str, failing: tuple[Check, ...]) -> None:
    rounds, names = flow.options.ci.max_fixes, _names(failing)
    if phase.ci_fixes < rounds:
        event, note = (
            Event.CI_FAILED,
            FIXING.format(names=names, round=phase.ci_fixes + 1, rounds=rounds),
        )
        tags: tuple[object, ...] = (phase.ci_fixes,)
    else:
        event, note = Event.CI_FIX_LIMIT, NO_FIX_LEFT.format(names=names, rounds=rounds)
        tags = ("ci", phase.recoveries)
    move = transition(phase.state, event, flow.rules)
    checks = tuple(sorted({check.name for check in failing}))
    fixing = event is Event.CI_FAILED
    async with transaction(flow.deps.sessions) as session:
        phase, _ = await enter(session, flow.project, phase, move, *tags, sha=sha, question=note)
        facts = {"head_sha": sha, "checks": checks, "fixing": fixing}
        await tell_phase(session, flow.deps, flow.project, CIFailed, phase, sha, **facts)
    await ensure_status_comment(flow.deps, flow.project)
