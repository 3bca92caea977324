"""Step 5, revisions: the developer answers the validator's failing review, or people's review
comments (only those of people with write permission are ever stored), with exact
search/replace edits committed on the same branch; the validator then reviews the new head.
Each person's comment gets its answer, in its thread when it has one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from agents.errors import EditError
from agents.inputs import PersonComment
from agents.schemas import Edit, Review, Revision, Verdict, apply_edits
from bot.files.pathcheck import check_files, normalize
from bot.github.git import branch_head, commit_files
from bot.github.repo import BranchMoved
from bot.queue.worker import RetryLater
from bot.status import markdown as md
from bot.status.comment import ensure_status_comment
from bot.workflow.context import Flow
from bot.workflow.errors import PhaseRefused
from bot.workflow.phase import all_phases, enter, load_phase, move_phase, save_phase, spec_of
from bot.workflow.replies import post_replies
from bot.workflow.repo import branch_view
from bot.workflow.review import decide
from bot.workflow.states import Event, can, transition
from storage.db import transaction
from storage.jobs import Job
from storage.states import Marker, MarkerKind, PhaseState
from storage.types import utcnow
from storage.workflow import Feedback, Phase, mark_feedback, pending_feedback, update_phase

PEOPLE_REVISIONS = 10  # per phase: people may ask again and again, but not forever
TOO_MANY = "Phase {phase} had {count} revisions for review comments, the most it takes."
NO_ANSWER = "Addressed in this revision."
MOVED = timedelta(seconds=30)
REFUSED = "The revision's files were refused, so nothing was committed: {problems}"

# The branch's head and tree after committing. Not whether this run made the commit: the
# head is what counts, whichever run of the job (or none, for files already there) made it.
Commit = tuple[str, str]


def revised_files(revision: Revision, current: dict[str, str]) -> dict[str, str]:
    """The files the revision changes, with its edits applied (each must match exactly)."""
    by_path: dict[str, list[Edit]] = defaultdict(list)
    for edit in revision.edits:
        by_path[normalize(edit.path)].append(edit)
    changed: dict[str, str] = {}
    for path, edits in by_path.items():
        if path not in current:
            raise EditError(f"the revision edits {path}, which does not exist")
        changed[path] = apply_edits(current[path], edits)
    for new in revision.new_files:
        changed[normalize(new.path)] = new.content
    return changed


def validator_turn(phase: Phase, job: Job) -> Review | None:
    """The failing review to answer, when this job is the validator's revision."""
    sha = job.args.get("sha")
    if sha is None or phase.state != PhaseState.REVISING or phase.head_sha != sha:
        return None
    if phase.last_reviewed_sha != sha or phase.verdict != Verdict.FAIL.value or not phase.reviews:
        return None
    review = Review.model_validate(phase.reviews[-1])
    if not phase.guidance:
        return review
    issues = [*review.critical_issues, f"The manager's guidance: {phase.guidance}"]
    return review.model_copy(update={"critical_issues": issues})


def _comments(feedback: list[Feedback]) -> list[PersonComment]:
    return [PersonComment(author=f.author, body=f.body, path=f.path, line=f.line) for f in feedback]


async def _ask(
    flow: Flow, phase: Phase, review: Review | None, feedback: list[Feedback]
) -> tuple[Revision, dict[str, str]]:
    view = branch_view(flow.project, await all_phases(flow), phase)
    result = await flow.developer().revise(
        flow.id,
        flow.plan(),
        spec_of(phase),
        revision=phase.revisions + phase.people_revisions + 1,
        repo=view,
        phase_paths=sorted(phase.files),
        review=review,
        comments=_comments(feedback),
    )
    changed = revised_files(result.answer, view)
    problems = check_files(changed, flow.options)
    if problems:
        raise PhaseRefused(REFUSED.format(problems="; ".join(problems)))
    return result.answer, changed


async def commit_on_branch(
    flow: Flow, phase: Phase, changed: Mapping[str, str | None], message: str, began: Marker
) -> Commit:
    """Commits on the phase branch from its recorded head, `began` written first; a commit
    begun before is found at the branch head (re-committing the same files makes nothing)."""
    assert phase.branch is not None and phase.head_sha is not None
    parent, tree = phase.head_sha, phase.head_tree
    if phase.began == began:
        parent, tree = (await branch_head(flow.gh, flow.repo, phase.branch)) or parent, None
    else:
        await save_phase(flow, phase, began=began)
    try:
        commit = await commit_files(
            flow.gh,
            flow.repo,
            branch=phase.branch,
            files=dict(changed),
            message=md.no_pings(message)[:250],  # the revision's summary is a model's
            parent=parent,
            parent_tree=tree,
            branch_exists=True,
        )
    except BranchMoved as exc:
        raise RetryLater(
            MOVED, f"a person pushed to {phase.branch}: working on their head"
        ) from exc
    return commit.sha, commit.tree


async def _commit(flow: Flow, phase: Phase, changed: dict[str, str], summary: str) -> Commit:
    number = phase.revisions + phase.people_revisions + 1
    message = f"Revision {number} of phase {phase.number}: {summary}"
    return await commit_on_branch(
        flow, phase, changed, message, Marker(MarkerKind.REVISE, str(number))
    )


async def _settle_unchanged(flow: Flow, phase: Phase) -> None:
    """Nothing changed: the head's last review decides again what comes next."""
    assert phase.head_sha is not None
    if phase.reviews and phase.last_reviewed_sha == phase.head_sha:
        review = Review.model_validate(phase.reviews[-1])
        trigger = f"unchanged-{phase.revisions}-{phase.people_revisions}"
        await decide(flow, phase, review, phase.head_sha, trigger=trigger, record=False)
        return
    await move_phase(flow, phase, Event.REVISED, sha=phase.head_sha)


async def _record(
    flow: Flow,
    phase: Phase,
    turn: Review | None,
    answer: tuple[Revision, dict[str, str]],
    feedback: list[Feedback],
    commit: Commit,
) -> Phase:
    # The head on the branch is recorded whether this run made it or an earlier one did
    # (killed, or its ref update answered 5xx after GitHub applied it): it is what to review.
    (revision, changed), (sha, tree) = answer, commit
    moved_on = sha != phase.head_sha
    counts = (
        {"revisions": phase.revisions + 1, "guidance": ""}
        if turn is not None
        else {"people_revisions": phase.people_revisions + 1}
    )
    replies = list(revision.replies)
    changes: dict[str, Any] = {"files": {**phase.files, **changed}, "began": None, **counts}
    async with transaction(flow.deps.sessions) as session:
        for index, item in enumerate(feedback):
            reply = replies[index] if index < len(replies) else NO_ANSWER
            await mark_feedback(session, [int(item.id or 0)], handled=True, reply=reply)
        if moved_on:  # a new head: the validator reviews it
            move = transition(phase.state, Event.REVISED, flow.rules)
            moved: dict[str, Any] = {"head_sha": sha, "head_tree": tree, "question": ""}
            moved["pushed_at"] = utcnow()
            phase, _ = await enter(session, flow.project, phase, move, sha=sha, **changes, **moved)
        else:
            phase = await update_phase(session, phase, **changes)
    if not moved_on:
        await _settle_unchanged(flow, phase)
    return phase


async def _refuse_more(flow: Flow, phase: Phase, feedback: list[Feedback]) -> None:
    async with transaction(flow.deps.sessions) as session:
        await mark_feedback(session, [int(f.id or 0) for f in feedback], handled=True, replied=True)
    notice = TOO_MANY.format(phase=phase.number, count=phase.people_revisions)
    await flow.save(notice=notice)
    await ensure_status_comment(flow.deps, flow.project)


async def run_phase_revise(flow: Flow, job: Job) -> None:
    phase = await load_phase(flow, int(job.args["phase"]))
    if phase is None or not can(phase.state, Event.REVISE):
        return
    turn = validator_turn(phase, job)
    async with flow.deps.sessions() as session:
        feedback = await pending_feedback(session, project_id=flow.id, phase=phase.number)
    if turn is None and feedback and phase.people_revisions >= PEOPLE_REVISIONS:
        await _refuse_more(flow, phase, feedback)
        return
    if turn is not None or feedback:
        phase = await move_phase(flow, phase, Event.REVISE)
        answer = await _ask(flow, phase, turn, feedback)
        commit = await _commit(flow, phase, answer[1], answer[0].summary)
        phase = await _record(flow, phase, turn, answer, feedback, commit)
    await post_replies(flow, phase)
