"""The pydantic answer of every agent step; each is the JSON schema the model must follow.

The wire schemas fit OpenAI's strict structured outputs and Anthropic's JSON-schema output
format at once: every field required (no defaults), no open dicts (key/value items instead),
enums for decisions. Checks a schema cannot express (unique phase ids, known dependencies)
are validators, so their failure goes back to the model in the one retry like any other.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agents.errors import EditError


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlanDecision(StrEnum):
    APPROVED = "APPROVED"
    APPROVED_WITH_CHANGES = "APPROVED_WITH_CHANGES"
    NEEDS_REVISION = "NEEDS_REVISION"


class PhaseRecovery(StrEnum):
    RETRY_WITH_GUIDANCE = "RETRY_WITH_GUIDANCE"
    SPLIT = "SPLIT"
    SKIP = "SKIP"
    ASK_HUMAN = "ASK_HUMAN"


class Verdict(StrEnum):
    PASS = "PASS"
    PASS_WITH_MINOR_ISSUES = "PASS_WITH_MINOR_ISSUES"
    FAIL = "FAIL"


class Readiness(StrEnum):
    READY_FOR_RELEASE = "READY_FOR_RELEASE"
    READY_WITH_CONDITIONS = "READY_WITH_CONDITIONS"
    NOT_READY = "NOT_READY"


class Feature(Answer):
    name: str
    description: str
    priority: int = Field(ge=1, le=5, description="1 is the most important")


class Brainstorm(Answer):
    """One agent's view of the brief, or the manager's synthesis of both views."""

    summary: str
    features: list[Feature]
    risks: list[str]
    open_questions: list[str]


class StackItem(Answer):
    area: str = Field(description="e.g. backend, database, testing")
    choice: str


class Component(Answer):
    name: str
    type: str
    responsibilities: list[str]


class Commands(Answer):
    """What CI runs on a fresh machine that has only the language's toolchain."""

    setup: list[str] = Field(
        description="shell commands, one per item, that install the dependencies, in order"
    )
    test: list[str] = Field(
        description="shell commands, one per item, that run the whole test suite, e.g. pytest"
    )


class Architecture(Answer):
    system_overview: str
    technology_stack: list[StackItem]
    components: list[Component]
    coding_standards: list[str]
    commands: Commands

    @model_validator(mode="before")
    @classmethod
    def _commands_named_later(cls, data: Any) -> Any:
        # Plans stored (or plan files committed) before the field existed still read back.
        if isinstance(data, dict) and "commands" not in data:
            return {**data, "commands": {"setup": [], "test": []}}
        return data

    def stack(self) -> dict[str, str]:
        return {item.area: item.choice for item in self.technology_stack}


class MicroPhase(Answer):
    id: int = Field(ge=1)
    name: str
    description: str
    phase_type: str = Field(description="e.g. setup, feature, api, ui, data, tests, docs")
    files_to_create: list[str]
    tests_to_write: list[str]
    dependencies: list[int] = Field(description="ids of phases that must be merged first")
    priority: int = Field(ge=1, le=5)
    acceptance_criteria: list[str]
    implementation_approach: str


class Breakdown(Answer):
    phases: list[MicroPhase]

    @model_validator(mode="after")
    def _consistent(self) -> Breakdown:
        ids = [phase.id for phase in self.phases]
        if len(set(ids)) != len(ids):
            raise ValueError(f"phase ids must be unique, got {ids}")
        for phase in self.phases:
            unknown = sorted(set(phase.dependencies) - set(ids))
            if unknown:
                raise ValueError(f"phase {phase.id} depends on unknown phases {unknown}")
            if phase.id in phase.dependencies:
                raise ValueError(f"phase {phase.id} depends on itself")
        return self


class BreakdownReview(Answer):
    decision: PlanDecision
    reasons: list[str]
    requested_changes: list[str]


class RecoveryDecision(Answer):
    decision: PhaseRecovery
    reasoning: str
    guidance: str = Field(description="for RETRY_WITH_GUIDANCE: what the developer must change")
    split_into: list[MicroPhase] = Field(description="for SPLIT: the smaller phases")
    question: str = Field(description="for ASK_HUMAN: what a person must decide")


class FileContent(Answer):
    path: str = Field(description="relative to the repository root")
    content: str = Field(description="the complete file")


class PhaseFiles(Answer):
    summary: str
    files: list[FileContent]


class Edit(Answer):
    path: str
    search: str = Field(description="text occurring exactly once in the current file")
    replace: str


class Revision(Answer):
    summary: str
    edits: list[Edit]
    new_files: list[FileContent]
    replies: list[str] = Field(description="one answer per review comment, in order")


class CriterionCoverage(Answer):
    criterion: str
    met: bool
    note: str


class InlineComment(Answer):
    path: str
    line: int = Field(ge=1, description="line number in the new version of the file")
    body: str


class Review(Answer):
    verdict: Verdict
    summary: str
    critical_issues: list[str]
    warnings: list[str]
    suggestions: list[str]
    criteria: list[CriterionCoverage]
    compliance_score: float = Field(ge=0, le=100, description="percent")
    comments: list[InlineComment]


class PullRequestText(Answer):
    commit_message: str
    title: str
    body: str


class ConflictResolution(Answer):
    path: str
    content: str = Field(description="the whole file with the conflict resolved")
    explanation: str


class IntegrationSummary(Answer):
    readiness: Readiness
    release_notes: str
    pr_body: str
    undone: list[str]


def apply_edits(original: str, edits: list[Edit]) -> str:
    """`original` with each edit applied in order; every search text must occur exactly once
    (in the text as the earlier edits left it), so an edit never lands in the wrong place."""
    text = original
    for number, edit in enumerate(edits, start=1):
        count = text.count(edit.search) if edit.search else 0
        if count != 1:
            found = "not found" if count == 0 else f"found {count} times"
            raise EditError(
                f"edit {number} on {edit.path}: search text {found}; it must occur exactly once"
            )
        text = text.replace(edit.search, edit.replace, 1)
    return text
