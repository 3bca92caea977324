"""Step 7, a red build: the developer agent gets the failing checks (output, annotations, the
log around the failure) and answers with exact search/replace edits, committed on the phase's
branch with a message naming the checks; the validator then reviews the new head and CI runs
again. Each fix is one model call (cached by head and output: the same failure at the same
head is not asked twice) and one round in the phase's documentation.
"""

from __future__ import annotations

from typing import Any

from agents.inputs import CIAnnotation, CIFailure
from agents.redact import Redactor
from agents.schemas import Revision
from bot.files.pathcheck import check_files
from bot.files.plan_file import phase_doc_path
from bot.github.actions import NoActionsAccess, job_log, run_annotations
from bot.github.checks import cut
from bot.github.ci import ACTIONS_SLUG, Check
from bot.github.joblog import excerpt
from bot.status.comment import ensure_status_comment
from bot.workflow.ci import read_ci
from bot.workflow.context import Flow
from bot.workflow.errors import PhaseRefused
from bot.workflow.phase import all_phases, enter, load_phase, move_phase, spec_of
from bot.workflow.repo import branch_view, phase_doc, phase_doc_markdown
from bot.workflow.revise import REFUSED, Commit, commit_on_branch, revised_files
from bot.workflow.states import Event, transition
from storage.db import transaction
from storage.jobs import Job
from storage.phase_docs import save_phase_doc
from storage.states import Marker, MarkerKind, PhaseState
from storage.types import utcnow
from storage.workflow import Phase

MAX_CHECKS = 5  # failing checks shown to the developer, first ones by name
MAX_ANNOTATIONS = 30  # in all
LOG_CHARS = 6_000  # per check; about 1,500 tokens
OUTPUT_CHARS = 4_000  # per field of a check run's output
NO_LOGS = (
    "The app may not read CI logs (the installation lacks the `actions: read` permission): "
    "CI fixes work from the check runs' output alone."
)
UNCHANGED = "The CI fix changed nothing: the manager decides what to do."
ROUND = "Fix {number}: {checks} ({conclusions}) at {sha}; changed {paths}."
_scrub = Redactor()  # the credential shapes; the call path removes the known secret values


async def _log(flow: Flow, check: Check) -> str:
    if check.app_slug != ACTIONS_SLUG or check.run_id is None:
        return ""
    try:
        return excerpt(await job_log(flow.gh, flow.repo, check.run_id), max_chars=LOG_CHARS)
    except NoActionsAccess:
        if flow.project.notice != NO_LOGS:
            await flow.save(notice=NO_LOGS)
        return ""


async def _notes(flow: Flow, check: Check, left: int) -> list[CIAnnotation]:
    if check.run_id is None or left <= 0 or not check.output.get("annotations_count"):
        return []
    found = await run_annotations(flow.gh, flow.repo, check.run_id, limit=left)
    return [
        CIAnnotation(path=str(a["path"]), line=a.get("start_line"), message=_scrub(a["message"]))
        for a in found
    ]


async def failures_of(flow: Flow, failing: tuple[Check, ...]) -> list[CIFailure]:
    """What the developer is shown of each failing check, within the budgets above."""
    shown, left = [], MAX_ANNOTATIONS
    for check in sorted(failing, key=lambda c: c.name)[:MAX_CHECKS]:
        notes = await _notes(flow, check, left)
        left -= len(notes)
        output = check.output
        shown.append(
            CIFailure(
                name=check.name,
                conclusion=str(check.conclusion),
                title=_scrub(cut(str(output.get("title") or ""), OUTPUT_CHARS)),
                summary=_scrub(cut(str(output.get("summary") or ""), OUTPUT_CHARS)),
                text=_scrub(cut(str(output.get("text") or ""), OUTPUT_CHARS)),
                annotations=notes,
                log=_scrub(await _log(flow, check)),
            )
        )
    return shown


async def _ask(
    flow: Flow, phase: Phase, sha: str, failures: list[CIFailure]
) -> tuple[Revision, dict[str, str]]:
    view = branch_view(flow.project, await all_phases(flow), phase)
    result = await flow.developer().fix_ci(
        flow.id,
        flow.plan(),
        spec_of(phase),
        head_sha=sha,
        failures=failures,
        repo=view,
        phase_paths=sorted(phase.files),
        round=phase.ci_fixes + 1,
        rounds=max(flow.options.ci.max_fixes, phase.ci_fixes + 1),  # a guided extra round
        guidance=phase.guidance,
    )
    changed = revised_files(result.answer, view)
    problems = check_files(changed, flow.options)
    if problems:
        raise PhaseRefused(REFUSED.format(problems="; ".join(problems)))
    return result.answer, changed


def _round(phase: Phase, sha: str, failures: list[CIFailure], changed: dict[str, str]) -> str:
    return ROUND.format(
        number=phase.ci_fixes + 1,
        checks=", ".join(f.name for f in failures),
        conclusions=", ".join(sorted({f.conclusion for f in failures})),
        sha=sha[:7],
        paths=", ".join(sorted(changed)) or "nothing",
    )


async def _commit(
    flow: Flow, phase: Phase, revision: Revision, changed: dict[str, str], line: str
) -> tuple[Commit, dict[str, Any]]:
    """The fix and the phase's documentation (with this round) in one commit."""
    files = {**phase.files, **changed}
    rounds = [*(r["line"] for r in phase.ci_rounds), line]
    doc = phase_doc(
        flow.id,
        spec_of(phase),
        summary=phase.summary,
        files=files,
        status="in review",
        ci_rounds=rounds,
    )
    content: dict[str, str | None] = dict(changed)
    if not flow.legacy:
        content[phase_doc_path(flow.issue, phase.number)] = phase_doc_markdown(doc)
    names = line.split(": ", 1)[1].split(" (", 1)[0]
    message = f"Fix CI ({names}) of phase {phase.number}: {revision.summary}"
    began = Marker(MarkerKind.CI_FIX, str(phase.ci_fixes + 1))
    commit = await commit_on_branch(flow, phase, content, message, began)
    async with transaction(flow.deps.sessions) as session:
        await save_phase_doc(session, doc)
    return commit, {"files": files}


async def run_phase_ci_fix(flow: Flow, job: Job) -> None:
    sha = str(job.args["sha"])
    phase = await load_phase(flow, int(job.args["phase"]))
    if phase is None or phase.state != PhaseState.CI_FIXING or phase.head_sha != sha:
        return
    report = await read_ci(flow, phase, sha)
    if report.verdict != "failure":  # re-run by a person meanwhile, or running again
        await move_phase(flow, phase, Event.CI_RECOVERED, sha=sha, question="")
        await ensure_status_comment(flow.deps, await flow.reload())
        return
    failures = await failures_of(flow, report.failing)
    revision, changed = await _ask(flow, phase, sha, failures)
    line = _round(phase, sha, failures, changed)
    (head, tree), changes = await _commit(flow, phase, revision, changed, line)
    await _record(flow, phase, sha, line, head, tree, changes)
    await ensure_status_comment(flow.deps, await flow.reload())


async def _record(
    flow: Flow, phase: Phase, sha: str, line: str, head: str, tree: str, changes: dict[str, Any]
) -> None:
    """The head that is on the branch now is recorded, whether this run or an earlier one made
    it; a fix that changed nothing goes to the manager instead of round and round."""
    rounds = [*phase.ci_rounds, {"sha": sha, "fix_sha": head, "line": line}]
    counted: dict[str, Any] = {
        "ci_fixes": phase.ci_fixes + 1,
        "ci_rounds": rounds,
        "began": None,
        "guidance": "",
    }
    if head == sha:
        move = transition(phase.state, Event.CI_FIX_LIMIT, flow.rules)
        tags: tuple[object, ...] = ("unchanged", phase.recoveries)
        moved: dict[str, Any] = {"question": UNCHANGED}
    else:
        move = transition(phase.state, Event.REVISED, flow.rules)
        tags = ()
        moved = {"head_sha": head, "head_tree": tree, "pushed_at": utcnow(), "question": ""}
        moved |= changes
    async with transaction(flow.deps.sessions) as session:
        await enter(session, flow.project, phase, move, *tags, sha=head, **counted, **moved)
