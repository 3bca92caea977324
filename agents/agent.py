"""What the five agents share: the runtime, the budget hook, and one way to make a call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from agents.callpath import Budget, CallResult, Step, call
from agents.prompting import Prompt
from agents.providers.base import T
from agents.runtime import AgentRuntime
from agents.settings import Role
from storage.cache_keys import default_dependencies


class Agent:
    role: Role

    def __init__(self, rt: AgentRuntime, *, budget: Budget | None = None) -> None:
        self.rt = rt
        self.budget = budget

    def render(self, template: str, variables: Mapping[str, Any], **files: Any) -> Prompt:
        return self.rt.prompts.render(template, variables, **files)

    async def ask(
        self,
        output_type: type[T],
        prompt: Prompt,
        *,
        project_id: int,
        key: str,
        step: str | None = None,
        phase: int | None = None,
        phases: Iterable[int] = (),
    ) -> CallResult[T]:
        """Calls the model (or the cache) for `prompt`; `step` names the cache and ledger
        entry when one template serves several rounds (default: the template's step)."""
        where = Step(
            role=self.role,
            step=step or prompt.step,
            project_id=project_id,
            phase=phase,
            cache_key=key,
            depends_on=default_dependencies(key, phases=phases),
        )
        return await call(self.rt, where, output_type, prompt, budget=self.budget)


def round_step(step: str, round: int, *, first: int = 1) -> str:
    """`step` for the first round, `step.<n>` after it, so each round keeps its cache entry."""
    return step if round <= first else f"{step}.{round}"
