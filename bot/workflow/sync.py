"""A phase branch that moved without the app: a person pushed commits to it, or GitHub merged
the integration branch into it (update-branch). Their commits are kept: the phase's files are
read at the new head, which the validator then reviews."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.github.git import branch_head
from bot.queue.worker import RetryLater
from bot.workflow.context import Flow
from bot.workflow.phase import load_phase, move_phase, read_phase_files
from bot.workflow.states import Event, can
from storage.jobs import Job
from storage.types import utcnow

NOT_YET = timedelta(seconds=5)
GIVE_UP = timedelta(minutes=10)  # update-branch is asynchronous, but not that slow


async def run_phase_sync(flow: Flow, job: Job) -> None:
    phase = await load_phase(flow, int(job.args["phase"]))
    if phase is None or not can(phase.state, Event.SYNCED) or phase.pr_number is None:
        return
    sha = job.args.get("sha") or await branch_head(flow.gh, flow.repo, phase.branch or "")
    if sha is None or sha == phase.head_sha:
        if job.args.get("sha") is None and utcnow() - job.created_at < GIVE_UP:
            raise RetryLater(NOT_YET, "GitHub has not updated the branch yet")
        return
    files = await read_phase_files(flow, phase.pr_number, str(sha))
    moved: dict[str, Any] = {"head_sha": str(sha), "head_tree": None, "question": "", "began": None}
    moved["pushed_at"] = utcnow()  # about when GitHub saw it: the grace window starts here
    await move_phase(flow, phase, Event.SYNCED, sha=str(sha), files=files, **moved)
