"""Acting while a model call is in flight: a test registers an action for the request of one
step (and phase), and the scripted model's client (the suite's `model_http` fixture) runs it
before that request is answered, e.g. a comment arriving while a job of the project runs.

    in_flight.when(step_is("developer.phase_files", 1), pause)
    ...
    assert in_flight.fired == ["developer.phase_files:1"]
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tests.scriptedmodel.model import RecordedRequest

Matcher = Callable[[RecordedRequest], bool]
Action = Callable[[], Awaitable[None]]


@dataclass
class InFlight:
    """Actions run while a model request is in flight, each once, before it is answered."""

    hooks: list[tuple[Matcher, Action]] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)

    def when(self, matches: Matcher, action: Action) -> None:
        self.hooks.append((matches, action))

    async def run(self, request: RecordedRequest) -> None:
        for hook in list(self.hooks):
            matches, action = hook
            if matches(request):
                self.hooks.remove(hook)
                self.fired.append(f"{request.step}:{request.phase}")
                await action()


def step_is(step: str, phase: int | None = None) -> Matcher:
    return lambda request: request.step == step and (phase is None or request.phase == phase)
