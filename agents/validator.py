"""The validator agent: reviews one phase's change against its acceptance criteria and the
plan, with inline comments anchored to lines of the new files."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from agents.agent import Agent, round_step
from agents.callpath import CallResult
from agents.context import imported_by, mentioned_paths
from agents.inputs import Plan
from agents.schemas import MicroPhase, Review
from agents.settings import Role
from storage.cache_keys import phase_review_key


def change_diff(before: Mapping[str, str], after: Mapping[str, str]) -> str:
    """A unified diff of the changed files; a new file is one line, since the prompt shows
    every changed file in full anyway."""
    parts = []
    for path in sorted(after):
        if path not in before:
            lines = len(after[path].splitlines())
            parts.append(f"new file {path} ({lines} lines)")
            continue
        diff = difflib.unified_diff(
            before[path].splitlines(keepends=True),
            after[path].splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
        parts.append("".join(diff).rstrip("\n") or f"unchanged {path}")
    return "\n".join(parts)


class Validator(Agent):
    role = Role.VALIDATOR

    async def review(
        self,
        project_id: int,
        plan: Plan,
        phase: MicroPhase,
        *,
        repo: Mapping[str, str],
        changed: Mapping[str, str],
        revision: int = 0,
    ) -> CallResult[Review]:
        """Reviews the phase's `changed` files (path -> new content) against `repo`, the
        integration branch they will merge into."""
        variables = {
            "plan": plan,
            "phase": phase,
            "revision": revision,
            "diff": change_diff(repo, changed),
            "changed": sorted(changed),
        }
        merged = {**repo, **changed}
        # The interfaces the change uses are what a review checks it against; the rest of
        # the repository is named by path only.
        relevant = imported_by(merged, changed) | set(mentioned_paths(phase.description, merged))
        prompt = self.render(
            "validator.review",
            variables,
            repo=merged,
            always=sorted(changed),
            relevant=relevant,
            instructions=plan.instructions.use(phase),
        )
        return await self.ask(
            Review,
            prompt,
            project_id=project_id,
            key=phase_review_key(phase.id),
            step=round_step(prompt.step, revision, first=0),
            phase=phase.id,
        )
