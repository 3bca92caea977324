"""The manager agent: scope (brainstorm and synthesis), the breakdown's approval, and what to
do with a phase that keeps failing."""

from __future__ import annotations

from collections.abc import Sequence

from agents.agent import Agent, round_step
from agents.callpath import CallResult
from agents.inputs import Brief, Plan
from agents.schemas import (
    Architecture,
    Brainstorm,
    Breakdown,
    BreakdownReview,
    MicroPhase,
    RecoveryDecision,
    Review,
)
from agents.settings import Role
from storage.cache_keys import BRAINSTORMING, MICRO_PHASES, phase_review_key


class Manager(Agent):
    role = Role.MANAGER

    async def brainstorm(self, project_id: int, brief: Brief) -> CallResult[Brainstorm]:
        prompt = self.render("manager.brainstorm", {"brief": brief})
        return await self.ask(Brainstorm, prompt, project_id=project_id, key=BRAINSTORMING)

    async def synthesize(
        self, project_id: int, brief: Brief, manager_view: Brainstorm, developer_view: Brainstorm
    ) -> CallResult[Brainstorm]:
        variables = {
            "brief": brief,
            "manager_view": manager_view,
            "developer_view": developer_view,
        }
        prompt = self.render("manager.synthesis", variables)
        return await self.ask(Brainstorm, prompt, project_id=project_id, key=BRAINSTORMING)

    async def validate_breakdown(
        self,
        project_id: int,
        brief: Brief,
        architecture: Architecture,
        breakdown: Breakdown,
        *,
        round: int = 1,
    ) -> CallResult[BreakdownReview]:
        variables = {"brief": brief, "architecture": architecture, "breakdown": breakdown}
        prompt = self.render("manager.breakdown_review", variables)
        step = round_step(prompt.step, round)
        return await self.ask(
            BreakdownReview, prompt, project_id=project_id, key=MICRO_PHASES, step=step
        )

    async def decide_recovery(
        self, project_id: int, plan: Plan, phase: MicroPhase, reviews: Sequence[Review]
    ) -> CallResult[RecoveryDecision]:
        """What to do after the phase's reviews (oldest first) kept failing."""
        variables = {
            "plan": plan,
            "phase": phase,
            "reviews": list(reviews),
            "attempts": len(reviews),
        }
        prompt = self.render("manager.recovery", variables)
        return await self.ask(
            RecoveryDecision,
            prompt,
            project_id=project_id,
            key=phase_review_key(phase.id),
            step=f"{prompt.step}.{len(reviews)}",
            phase=phase.id,
        )
