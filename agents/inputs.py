"""What the workflow hands the agents: the brief, the plan, notes on finished phases, people's
comments. Typed, so every prompt is rendered from the same shapes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from agents.instructions import Instructions
from agents.schemas import Architecture, MicroPhase


class Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Brief(Input):
    """The issue as it was when the project started. Untrusted: rendered only as data."""

    title: str
    body: str
    template: str | None = None  # web_app, api_service, data_pipeline
    # The repository's instructions for agents, for the architecture step's stable part.
    instructions: Instructions = Instructions()


class Plan(Input):
    """The approved plan: the stable context of every phase prompt."""

    architecture: Architecture
    phases: list[MicroPhase]
    # The repository's instructions for agents, from the default branch at the start.
    instructions: Instructions = Instructions()

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


class CIAnnotation(Input):
    path: str
    line: int | None = None
    message: str


class CIFailure(Input):
    """A check that failed on the phase's head, as CI reported it. Untrusted (CI output can
    hold anything the code under test printed): rendered only as data, in the changing part."""

    name: str
    conclusion: str
    title: str = ""
    summary: str = ""
    text: str = ""
    annotations: list[CIAnnotation] = []
    log: str = ""  # the excerpt of the job's log around the failure
