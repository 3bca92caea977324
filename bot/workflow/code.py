"""Step 3, a phase's code: the developer writes its files, every path is checked, and all of
them plus the phase documentation go on `ai-orchestrator/issue-<n>/phase-<k>` as one commit;
then the pull request into the integration branch, with the git agent's title and body.

Resumable at every point: the files and PR text are stored with the commit, a commit begun but
not recorded is looked for on its branch (where re-committing the same files makes nothing),
and opening a pull request that exists returns the existing one.
"""

from __future__ import annotations

from bot.files.plan_file import phase_doc_path
from bot.github.git import branch_head, commit_files
from bot.github.pulls import open_pull
from bot.plugins.events import PhaseOpened
from bot.status.comment import ensure_status_comment
from bot.workflow.adopt import adopt
from bot.workflow.context import Flow
from bot.workflow.draft import draft_files
from bot.workflow.hooks import tell_phase
from bot.workflow.phase import (
    Target,
    enter,
    load_phase,
    move_phase,
    save_phase,
    spec_of,
    target,
)
from bot.workflow.regenerate import REGENERATING, regenerate
from bot.workflow.repo import phase_doc, phase_doc_markdown
from bot.workflow.states import Event, can, transition
from storage.db import transaction
from storage.jobs import Job
from storage.phase_docs import save_phase_doc
from storage.states import Marker, MarkerKind, PhaseState
from storage.types import utcnow
from storage.workflow import Phase, update_phase

COMMIT = Marker(MarkerKind.COMMIT)  # `began` while the first commit is being made


async def write_files(flow: Flow, phase: Phase) -> Phase:
    """The developer's files (checked) and the PR text, stored on the phase."""
    return await save_phase(flow, phase, **await draft_files(flow, phase))


async def commit_phase(flow: Flow, phase: Phase) -> Phase:
    where = target(flow, phase)
    doc = phase_doc(
        flow.id, spec_of(phase), summary=phase.summary, files=phase.files, status="in review"
    )
    files: dict[str, str | None] = {**phase.files}
    if not flow.legacy:
        files[phase_doc_path(flow.issue, phase.number)] = phase_doc_markdown(doc)
    parent, tree, exists = await _start_point(flow, phase, where)
    commit = await commit_files(
        flow.gh,
        flow.repo,
        branch=where.branch,
        files=files,
        message=phase.commit_message or f"Phase {phase.number}: {phase.name}",
        parent=parent,
        parent_tree=tree,
        branch_exists=exists,
    )
    async with transaction(flow.deps.sessions) as session:
        await save_phase_doc(session, doc)
        return await update_phase(
            session,
            phase,
            head_sha=commit.sha,
            head_tree=commit.tree,
            pushed_at=utcnow(),
            base_sha=where.parent,
            branch=where.branch,
            began=None,
        )


async def _start_point(flow: Flow, phase: Phase, where: Target) -> tuple[str, str | None, bool]:
    """(parent, its tree if known, whether the branch exists). A commit begun before may have
    made the branch: then it continues from the branch's head."""
    if phase.began == COMMIT or flow.project.lookup_first:
        head = await branch_head(flow.gh, flow.repo, where.branch)
        if head is not None:
            return head, None, True
    else:
        await save_phase(flow, phase, began=COMMIT)
    return where.parent, where.parent_tree, False


async def open_phase_pull(flow: Flow, phase: Phase) -> Phase:
    where = target(flow, phase)
    pull = await open_pull(
        flow.gh,
        flow.repo,
        head=where.branch,
        base=where.base,
        title=phase.pr_title or phase.name,
        body=phase.pr_body,
    )
    number, url, sha = int(pull["number"]), str(pull["html_url"]), phase.head_sha
    assert sha is not None
    move = transition(phase.state, Event.OPENED, flow.rules)
    async with transaction(flow.deps.sessions) as session:
        phase, _ = await enter(
            session, flow.project, phase, move, sha=sha, pr_number=number, pr_url=url
        )
        await tell_phase(session, flow.deps, flow.project, PhaseOpened, phase, sha, head_sha=sha)
    return phase


async def run_phase_code(flow: Flow, job: Job) -> None:
    phase = await load_phase(flow, int(job.args["phase"]))
    if phase is None or phase.attempt != int(job.args.get("attempt", 0)):
        return
    if can(phase.state, Event.CODE):
        phase = await move_phase(flow, phase, Event.CODE, started_at=utcnow())
    if phase.state != PhaseState.CODING:
        return
    if flow.project.lookup_first and phase.head_sha is None and await adopt(flow, phase):
        return
    if phase.began in REGENERATING:
        await regenerate(flow, phase)
        await ensure_status_comment(flow.deps, await flow.reload())
        return
    if phase.head_sha is None:
        if not phase.pr_body:
            phase = await write_files(flow, phase)
        phase = await commit_phase(flow, phase)
    if phase.pr_number is None:
        await open_phase_pull(flow, phase)
    await ensure_status_comment(flow.deps, await flow.reload())
