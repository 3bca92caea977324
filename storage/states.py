"""The workflow's states as the database stores them: a phase's state, a project's step, and
the write-ahead marker (`began`) a step leaves before a GitHub write it has not recorded yet.

They sit here, beside the tables, because the status comment and the commands read them as
much as the workflow writes them; the moves between them are `bot.workflow.states`. Each is
a typed column: an unknown state or step cannot be written (a CHECK constraint on both
databases, and SQLAlchemy refuses the value before it is sent), and a marker is read back as
a `Marker`, never as a string to format or split.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class PhaseState(StrEnum):
    PLANNED = "planned"
    CODING = "coding"
    IN_REVIEW = "in_review"
    REVISING = "revising"
    WAITING_CI = "waiting_ci"
    CI_FIXING = "ci_fixing"
    WAITING_HUMAN = "waiting_human"
    MERGED = "merged"
    SKIPPED = "skipped"
    FAILED = "failed"


# A finished phase is done with for good: the integration may go on without it.
FINISHED = frozenset({PhaseState.MERGED, PhaseState.SKIPPED})
UNFINISHED = frozenset(PhaseState) - FINISHED
# A phase whose work is under way: no other phase starts beside it.
ACTIVE = frozenset(
    {
        PhaseState.CODING,
        PhaseState.IN_REVIEW,
        PhaseState.REVISING,
        PhaseState.WAITING_CI,
        PhaseState.CI_FIXING,
        PhaseState.WAITING_HUMAN,
    }
)


class ProjectStep(StrEnum):
    """Where a project is, in this order (the legacy workflow takes the `legacy` steps)."""

    PLANNING = "planning"
    PLAN_FILE = "plan_file"
    PLANNED = "planned"
    AWAITING_APPROVAL = "awaiting_approval"
    PHASES = "phases"
    LEGACY = "legacy"
    INTEGRATING = "integrating"
    DONE = "done"
    LEGACY_DONE = "legacy_done"
    FAILED = "failed"
    ABORTED = "aborted"


# Steps before the implementation starts (a project there has no phase at work yet).
PLANNING_STEPS = frozenset({ProjectStep.PLANNING, ProjectStep.PLAN_FILE, ProjectStep.PLANNED})
DONE_STEPS = frozenset({ProjectStep.DONE, ProjectStep.LEGACY_DONE})


class MarkerKind(StrEnum):
    """The GitHub write a step began and has not recorded yet."""

    PLAN_FILE = "plan_file"  # the plan's commit (which creates the integration branch)
    COMMIT = "commit"  # a phase's first commit (which creates its branch)
    REVIEW = "review"  # the validator's review of the head `arg`
    CHECK = "check"  # that review is posted; the check run on `arg` is next
    REVISE = "revise"  # the commit of revision number `arg`
    CI_FIX = "ci_fix"  # the commit of CI fix number `arg`
    REGENERATE = "regenerate"  # after `/retry`: the next commit replaces the phase's files
    REGENERATE_COMMIT = "regenerate_commit"  # that commit began (and may have been made)


@dataclass(frozen=True)
class Marker:
    kind: MarkerKind
    arg: str = ""

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.arg}" if self.arg else self.kind.value

    @classmethod
    def parse(cls, text: str) -> Marker:
        kind, _, arg = text.partition(":")
        return cls(MarkerKind(kind), arg)


class MarkerType(TypeDecorator[Marker]):
    """A `Marker` stored as its text (`review:<sha>`); only a `Marker` may be written."""

    impl = String(128)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Marker):
            raise TypeError(f"began takes a Marker, not {type(value).__name__}: {value!r}")
        return str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Marker | None:
        return None if value is None else Marker.parse(str(value))


def enum_column(enum: type[StrEnum], name: str) -> Enum:
    """A column of `enum`'s values: VARCHAR with a CHECK constraint on both databases (a
    native PostgreSQL enum would need its own migration for every new member)."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )
