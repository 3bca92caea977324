"""The git agent: commit message, PR title and body of a phase, and conflict resolution. The
branch, commit, PR and merge operations themselves are plain API calls in the workflow."""

from __future__ import annotations

from collections.abc import Sequence

from agents.agent import Agent
from agents.callpath import CallResult
from agents.schemas import ConflictResolution, MicroPhase, PullRequestText
from agents.settings import Role
from storage.cache_keys import phase_code_key


class Git(Agent):
    role = Role.GIT

    async def pr_text(
        self,
        project_id: int,
        phase: MicroPhase,
        *,
        issue_number: int,
        summary: str,
        paths: Sequence[str],
    ) -> CallResult[PullRequestText]:
        variables = {
            "phase": phase,
            "issue_number": issue_number,
            "summary": summary,
            "paths": sorted(paths),
        }
        prompt = self.render("git.pr_text", variables)
        return await self.ask(
            PullRequestText,
            prompt,
            project_id=project_id,
            key=phase_code_key(phase.id),
            phase=phase.id,
        )

    async def resolve_conflict(
        self, project_id: int, phase: MicroPhase, *, path: str, base: str, ours: str, theirs: str
    ) -> CallResult[ConflictResolution]:
        variables = {"phase": phase, "path": path, "base": base, "ours": ours, "theirs": theirs}
        prompt = self.render("git.conflict", variables)
        return await self.ask(
            ConflictResolution,
            prompt,
            project_id=project_id,
            key=phase_code_key(phase.id),
            step=f"{prompt.step}:{path}",
            phase=phase.id,
        )
