"""The integration agent: checks the merged phases against the plan, writes the release notes
and the final PR body, and lists what is left undone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from agents.agent import Agent
from agents.callpath import CallResult
from agents.inputs import PhaseNote, Plan
from agents.schemas import IntegrationSummary
from agents.settings import Role
from storage.cache_keys import INTEGRATION


class Integration(Agent):
    role = Role.INTEGRATION

    async def summarize(
        self,
        project_id: int,
        plan: Plan,
        *,
        issue_number: int,
        notes: Sequence[PhaseNote],
        repo: Mapping[str, str],
    ) -> CallResult[IntegrationSummary]:
        """`notes` say what each phase delivered (merged, skipped); `repo` is the integration
        branch, named by path (the phases' notes and reviews already judged the code)."""
        variables = {"plan": plan, "issue_number": issue_number, "notes": list(notes)}
        prompt = self.render("integration.summary", variables, repo=repo, relevant=set())
        return await self.ask(
            IntegrationSummary,
            prompt,
            project_id=project_id,
            key=INTEGRATION,
            phases=[phase.id for phase in plan.phases],
        )
