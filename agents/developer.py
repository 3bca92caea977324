"""The developer agent: technical brainstorm, architecture, micro-phase breakdown, the files of
each phase, and revisions answering reviews."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from agents.agent import Agent, round_step
from agents.callpath import CallResult
from agents.context import focus_files
from agents.inputs import Brief, CIFailure, PersonComment, PhaseNote, Plan
from agents.schemas import (
    Architecture,
    Brainstorm,
    Breakdown,
    MicroPhase,
    PhaseFiles,
    Review,
    Revision,
)
from agents.settings import Role
from storage.cache_keys import ARCHITECTURE, BRAINSTORMING, MICRO_PHASES, phase_code_key


def _task_text(phase: MicroPhase) -> str:
    return "\n".join([phase.description, phase.implementation_approach])


class Developer(Agent):
    role = Role.DEVELOPER

    async def brainstorm(self, project_id: int, brief: Brief) -> CallResult[Brainstorm]:
        prompt = self.render("developer.brainstorm", {"brief": brief})
        return await self.ask(Brainstorm, prompt, project_id=project_id, key=BRAINSTORMING)

    async def architecture(
        self, project_id: int, brief: Brief, features: Brainstorm
    ) -> CallResult[Architecture]:
        variables = {"brief": brief, "features": features}
        prompt = self.render(
            "developer.architecture", variables, instructions=brief.instructions.use()
        )
        return await self.ask(Architecture, prompt, project_id=project_id, key=ARCHITECTURE)

    async def breakdown(
        self,
        project_id: int,
        brief: Brief,
        architecture: Architecture,
        *,
        max_phases: int,
        requested_changes: Sequence[str] = (),
        round: int = 1,
    ) -> CallResult[Breakdown]:
        variables = {
            "brief": brief,
            "architecture": architecture,
            "max_phases": max_phases,
            "requested_changes": list(requested_changes),
        }
        prompt = self.render("developer.breakdown", variables)
        step = round_step(prompt.step, round)
        return await self.ask(Breakdown, prompt, project_id=project_id, key=MICRO_PHASES, step=step)

    async def phase_files(
        self,
        project_id: int,
        plan: Plan,
        phase: MicroPhase,
        *,
        notes: Sequence[PhaseNote],
        repo: Mapping[str, str],
    ) -> CallResult[PhaseFiles]:
        """The files of a new phase. `repo` is the integration branch (path -> content); the
        prompt shows in full only what the phase changes, imports or names."""
        focus = focus_files(repo, phase.files_to_create, _task_text(phase))
        variables = {"plan": plan, "phase": phase, "notes": list(notes)}
        prompt = self.render(
            "developer.phase_files",
            variables,
            repo=repo,
            focus=focus,
            instructions=plan.instructions.use(phase),
        )
        return await self.ask(
            PhaseFiles, prompt, project_id=project_id, key=phase_code_key(phase.id), phase=phase.id
        )

    async def revise(
        self,
        project_id: int,
        plan: Plan,
        phase: MicroPhase,
        *,
        revision: int,
        repo: Mapping[str, str],
        phase_paths: Sequence[str],
        review: Review | None,
        comments: Sequence[PersonComment] = (),
    ) -> CallResult[Revision]:
        """Edits answering the validator's `review` and/or people's `comments`. `repo` is the
        phase branch; `phase_paths` the files the phase changed, always shown in full."""
        text = "\n".join([_task_text(phase), *(comment.body for comment in comments)])
        focus = focus_files(repo, phase_paths, text)
        variables = {
            "plan": plan,
            "phase": phase,
            "revision": revision,
            "review": review,
            "comments": list(comments),
        }
        prompt = self.render(
            "developer.revise",
            variables,
            repo=repo,
            focus=focus,
            always=list(phase_paths),
            instructions=plan.instructions.use(phase),
        )
        return await self.ask(
            Revision,
            prompt,
            project_id=project_id,
            key=phase_code_key(phase.id),
            step=f"{prompt.step}.{revision}",
            phase=phase.id,
        )

    async def fix_ci(
        self,
        project_id: int,
        plan: Plan,
        phase: MicroPhase,
        *,
        head_sha: str,
        failures: Sequence[CIFailure],
        repo: Mapping[str, str],
        phase_paths: Sequence[str],
        round: int,
        rounds: int,
        guidance: str = "",
    ) -> CallResult[Revision]:
        """Edits that make the failing checks pass. The cache entry is named by the head
        commit and keyed by the prompt, so the same failure at the same head is answered
        from the cache, and a new head or new output asks again."""
        text = "\n".join([_task_text(phase), *(f.log or f.summary for f in failures)])
        focus = focus_files(repo, phase_paths, text)
        variables = {
            "plan": plan,
            "phase": phase,
            "failures": list(failures),
            "round": round,
            "rounds": rounds,
            "guidance": guidance,
        }
        prompt = self.render(
            "developer.fix_ci", variables, repo=repo, focus=focus, always=list(phase_paths)
        )
        return await self.ask(
            Revision,
            prompt,
            project_id=project_id,
            key=phase_code_key(phase.id),
            step=f"{prompt.step}.{head_sha[:12]}",
            phase=phase.id,
        )
