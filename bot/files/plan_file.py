"""The plan file committed to the integration branch: the seed report's plan structure in YAML.

The text is a pure function of its inputs (no clock, no dict-order surprises), so a job that
runs again renders identical bytes and the commit it would make is a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import yaml

from agents.schemas import Architecture, MicroPhase

APP_DIR = ".ai-orchestrator"
HEADER = "# The plan AI Orchestrator made for {ref}. Generated; do not edit by hand.\n"


def issue_dir(issue_number: int) -> str:
    if issue_number < 1:
        raise ValueError(f"issue numbers start at 1, got {issue_number}")
    return f"{APP_DIR}/issue-{issue_number}"


def plan_path(issue_number: int) -> str:
    return f"{issue_dir(issue_number)}/plan.yaml"


def phase_doc_path(issue_number: int, phase: int) -> str:
    if phase < 1:
        raise ValueError(f"phase numbers start at 1, got {phase}")
    return f"{issue_dir(issue_number)}/phase-{phase}.md"


def plan_yaml(
    *,
    project_name: str,
    project_ref: str,
    created_at: datetime,
    architecture: Architecture,
    phases: Sequence[MicroPhase],
    features: list[str] | None,
    template: str | None,
) -> str:
    """The plan file's text. `project_ref` (`owner/repo#12`) stands in the seed report's
    `session_id`; `features` and `template` appear only when given."""
    plan: dict[str, Any] = {
        "project_name": project_name,
        "session_id": project_ref,
        "created_at": iso_utc(created_at),
    }
    if template is not None:
        plan["template"] = template
    if features is not None:
        plan["features"] = list(features)
    plan |= _architecture(architecture)
    plan["micro_phase_plans"] = [_phase(phase) for phase in phases]
    ref = " ".join(project_ref.split())  # a comment line must stay one line
    body = yaml.dump(plan, Dumper=_PlanDumper, sort_keys=False, allow_unicode=True, width=100)
    return HEADER.format(ref=ref) + body


def iso_utc(moment: datetime) -> str:
    """`2025-07-02T10:30:00Z`: whole seconds in UTC; a naive datetime is refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("created_at must be timezone-aware")
    utc = moment.astimezone(UTC).replace(microsecond=0, tzinfo=None)
    return utc.isoformat() + "Z"


def _architecture(architecture: Architecture) -> dict[str, Any]:
    return {
        "system_overview": architecture.system_overview,
        "technology_stack": _stack(architecture),
        "components": [
            {
                "name": component.name,
                "type": component.type,
                "responsibilities": list(component.responsibilities),
            }
            for component in architecture.components
        ],
        "coding_standards": list(architecture.coding_standards),
        # What CI runs; the app's generated workflow prefers the repository's AGENTS.md.
        "commands": {
            "setup": list(architecture.commands.setup),
            "test": list(architecture.commands.test),
        },
    }


def _stack(architecture: Architecture) -> dict[str, str]:
    """Area → choice; an area named twice keeps both choices rather than losing one."""
    stack: dict[str, str] = {}
    for item in architecture.technology_stack:
        earlier = stack.get(item.area)
        stack[item.area] = item.choice if earlier is None else f"{earlier}, {item.choice}"
    return stack


def _phase(phase: MicroPhase) -> dict[str, Any]:
    return {
        "id": phase.id,
        "name": phase.name,
        "description": phase.description,
        "phase_type": phase.phase_type,
        "files_to_create": list(phase.files_to_create),
        "tests_to_write": list(phase.tests_to_write),
        "dependencies": list(phase.dependencies),
        "priority": phase.priority,
        "acceptance_criteria": list(phase.acceptance_criteria),
        "implementation_approach": phase.implementation_approach,
    }


class _PlanDumper(yaml.SafeDumper):
    """SafeDumper that writes multi-line text as literal blocks, so the plan reads well."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # PyYAML falls back to a quoted style by itself where a literal block cannot hold the text.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_PlanDumper.add_representer(str, _represent_str)
