"""What the workflow hands the agents: the brief, the plan, notes on finished phases, people's
comments. Typed, so every prompt is rendered from the same shapes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from agents.schemas import Architecture, MicroPhase


class Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Brief(Input):
    """The issue as it was when the project started. Untrusted: rendered only as data."""

    title: str
    body: str
    template: str | None = None  # web_app, api_service, data_pipeline


class Plan(Input):
    """The approved plan: the stable context of every phase prompt."""

    architecture: Architecture
    phases: list[MicroPhase]

    def phase(self, phase_id: int) -> MicroPhase:
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        raise KeyError(f"the plan has no phase {phase_id}")


class PhaseNote(Input):
    """What a finished phase did, for the phases after it."""

    id: int
    name: str
    summary: str
    files: list[str]
    status: str = "merged"


class PersonComment(Input):
    """A review comment by someone with write permission (the workflow filters the rest).
    Untrusted: rendered only as data."""

    author: str
    body: str
    path: str | None = None
    line: int | None = None
