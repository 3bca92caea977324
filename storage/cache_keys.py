"""The response cache's stage keys and the dependency table of the seed report.

| stage          | key                           | depends on                      | expiry |
| brainstorming  | `brainstorming_features`      | —                               | 168 h  |
| architecture   | `system_architecture_plan`    | `brainstorming_features`        | 72 h   |
| micro-phases   | `project_micro_phases`        | `system_architecture_plan`      | 72 h   |
| implementation | `phase-<k>-generated_code`    | `project_micro_phases`          | 72 h   |
| validation     | `phase-<k>-validation_report` | `phase-<k>-generated_code`      | 72 h   |
| integration    | `final_integration_summary`   | every `phase-<j>-validation_report` | 24 h |
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

BRAINSTORMING = "brainstorming_features"
ARCHITECTURE = "system_architecture_plan"
MICRO_PHASES = "project_micro_phases"
INTEGRATION = "final_integration_summary"

_PHASE_KEY = re.compile(r"phase-(?P<phase>[1-9][0-9]*)-(?P<kind>generated_code|validation_report)")


class Stage(StrEnum):
    BRAINSTORMING = "brainstorming"
    ARCHITECTURE = "architecture"
    MICRO_PHASES = "micro_phases"
    PHASE_CODE = "phase_code"
    PHASE_REVIEW = "phase_review"
    INTEGRATION = "integration"


_FIXED_KEYS = {
    BRAINSTORMING: Stage.BRAINSTORMING,
    ARCHITECTURE: Stage.ARCHITECTURE,
    MICRO_PHASES: Stage.MICRO_PHASES,
    INTEGRATION: Stage.INTEGRATION,
}
_PHASE_KINDS = {"generated_code": Stage.PHASE_CODE, "validation_report": Stage.PHASE_REVIEW}

DEFAULT_TTL: dict[Stage, timedelta] = {
    Stage.BRAINSTORMING: timedelta(hours=168),
    Stage.ARCHITECTURE: timedelta(hours=72),
    Stage.MICRO_PHASES: timedelta(hours=72),
    Stage.PHASE_CODE: timedelta(hours=72),
    Stage.PHASE_REVIEW: timedelta(hours=72),
    Stage.INTEGRATION: timedelta(hours=24),
}


@dataclass(frozen=True)
class StageKey:
    stage: Stage
    phase: int | None = None


def _check_phase(phase: int) -> int:
    if phase < 1:
        raise ValueError(f"phase numbers start at 1, got {phase}")
    return phase


def phase_code_key(phase: int) -> str:
    return f"phase-{_check_phase(phase)}-generated_code"


def phase_review_key(phase: int) -> str:
    return f"phase-{_check_phase(phase)}-validation_report"


def parse_key(key: str) -> StageKey:
    """The stage (and phase) a cache key names; ValueError for anything else."""
    if key in _FIXED_KEYS:
        return StageKey(_FIXED_KEYS[key])
    match = _PHASE_KEY.fullmatch(key)
    if match is None:
        raise ValueError(
            f"unknown cache key {key!r}; expected one of {', '.join(_FIXED_KEYS)}, "
            "phase-<k>-generated_code or phase-<k>-validation_report"
        )
    return StageKey(_PHASE_KINDS[match["kind"]], int(match["phase"]))


def default_dependencies(key: str, *, phases: Iterable[int] = ()) -> list[str]:
    """The keys `key` depends on; `phases` lists the project's phases, which the integration
    summary depends on through their validation reports."""
    parsed = parse_key(key)
    match parsed.stage:
        case Stage.BRAINSTORMING:
            return []
        case Stage.ARCHITECTURE:
            return [BRAINSTORMING]
        case Stage.MICRO_PHASES:
            return [ARCHITECTURE]
        case Stage.PHASE_CODE:
            return [MICRO_PHASES]
        case Stage.PHASE_REVIEW:
            assert parsed.phase is not None
            return [phase_code_key(parsed.phase)]
        case Stage.INTEGRATION:
            return [phase_review_key(phase) for phase in sorted(set(phases))]
