"""Work under way: a phase whose pull request GitHub already has (from before the project's
rows were lost) is taken over as it is, merged or open, instead of being written again."""

from __future__ import annotations

from typing import Any

from bot.github.git import branch_head
from bot.github.pulls import find_pull
from bot.workflow.context import Flow
from bot.workflow.merge import record_merge
from bot.workflow.phase import move_phase, read_phase_files, save_phase, target
from bot.workflow.states import Event
from storage.workflow import Phase


async def _merged(flow: Flow, phase: Phase, pull: dict[str, Any], files: dict[str, str]) -> None:
    integration = await branch_head(flow.gh, flow.repo, target(flow, phase).base)
    await record_merge(
        flow,
        phase,
        pull.get("merge_commit_sha"),
        by=None,  # the list of pull requests does not say who merged
        event=Event.MERGED_ON_GITHUB,
        integration_sha=integration,
        files=files,
        pr_number=int(pull["number"]),
        pr_url=str(pull["html_url"]),
        head_sha=str(pull["head"]["sha"]),
    )


async def _open(flow: Flow, phase: Phase, pull: dict[str, Any], files: dict[str, str]) -> None:
    sha = str(pull["head"]["sha"])
    await move_phase(
        flow,
        phase,
        Event.OPENED,
        sha=sha,
        files=files,
        head_sha=sha,
        pr_number=int(pull["number"]),
        pr_url=str(pull["html_url"]),
        branch=target(flow, phase).branch,
    )


async def adopt(flow: Flow, phase: Phase) -> bool:
    """True when the phase's pull request was found and taken over."""
    where = target(flow, phase)
    pull = await find_pull(flow.gh, flow.repo, head=where.branch, base=where.base, state="all")
    if pull is None or (pull.get("state") == "closed" and not pull.get("merged_at")):
        return False
    files = await read_phase_files(flow, int(pull["number"]), str(pull["head"]["sha"]))
    phase = await save_phase(flow, phase, branch=where.branch)
    if pull.get("merged_at"):
        await _merged(flow, phase, pull, files)
    else:
        await _open(flow, phase, pull, files)
    return True
