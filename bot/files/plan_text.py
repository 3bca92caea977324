"""The plan file's text for a stored project, as it was committed (`bot.files.plan_file`): what
`ai-orchestrator docs view-plan` prints and the dashboard renders."""

from __future__ import annotations

from agents.schemas import Architecture, MicroPhase
from bot.files.plan_file import plan_yaml
from storage.reports import ProjectDetail


def project_plan_text(detail: ProjectDetail) -> str | None:
    """The plan YAML, or None while the project has no plan yet."""
    plan = detail.plan
    if "architecture" not in plan:
        return None
    row = detail.project
    return plan_yaml(
        project_name=row.issue_title,
        project_ref=f"{row.repository}#{row.issue_number}",
        created_at=row.created_at,
        architecture=Architecture.model_validate(plan["architecture"]),
        phases=[MicroPhase.model_validate(phase) for phase in plan.get("phases") or []],
        features=list(plan.get("features") or []),
        template=detail.template,
    )
