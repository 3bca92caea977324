"""The seed report's project templates: a starting stack and phase skeleton for the agents.

A template is chosen by the repository's `template` option or, winning over it, by a
`template:<name>` label on the issue. The agents get it as text to start from, not as a rule:
the issue may ask for another stack, and the breakdown adapts the skeleton to the brief.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.options import RepoOptions

TEMPLATE_LABEL_PREFIX = "template:"

BRIEF_HEADING = "Project template: {title} (`{name}`)"
BRIEF_STACK = "Start from this technology stack unless the issue asks for something else:"
BRIEF_PHASES = (
    "Phase skeleton to start the breakdown from (rename, split, merge or drop phases so they "
    "fit the issue; each phase must still be small and reviewable):"
)


@dataclass(frozen=True)
class SkeletonPhase:
    name: str
    purpose: str


@dataclass(frozen=True)
class ProjectTemplate:
    name: str
    title: str
    description: str
    stack: Mapping[str, str]
    phases: tuple[SkeletonPhase, ...]


def _template(
    name: str, title: str, description: str, stack: dict[str, str], phases: list[tuple[str, str]]
) -> ProjectTemplate:
    return ProjectTemplate(
        name=name,
        title=title,
        description=description,
        stack=MappingProxyType(stack),
        phases=tuple(SkeletonPhase(phase, purpose) for phase, purpose in phases),
    )


WEB_APP = _template(
    "web_app",
    "Modern Web Application",
    "A browser front end over an HTTP API and a relational database, with user accounts.",
    {"backend": "FastAPI", "frontend": "React", "db": "PostgreSQL"},
    [
        ("auth", "User accounts: registration, login, sessions or tokens, password hashing."),
        ("api", "The HTTP endpoints and data models behind the application's features."),
        ("frontend", "The React pages and components that use the API."),
        ("testing", "Unit and integration tests across the API and the front end."),
        ("deployment", "Container image, configuration from the environment, run instructions."),
    ],
)

API_SERVICE = _template(
    "api_service",
    "REST API Service",
    "A documented REST API over a relational database, for other programs to call.",
    {"backend": "FastAPI", "db": "PostgreSQL", "docs": "OpenAPI"},
    [
        ("models", "The data models, database schema and migrations."),
        ("endpoints", "The REST endpoints: routes, validation, error responses."),
        ("auth", "Authentication and authorization of API clients."),
        ("testing", "Tests of every endpoint, including error cases."),
        ("docs", "The OpenAPI description and a usage guide with examples."),
    ],
)

DATA_PIPELINE = _template(
    "data_pipeline",
    "Data Processing Pipeline",
    "Scheduled jobs that ingest, transform and store data, with monitoring.",
    {"processing": "Python/Pandas", "storage": "S3", "scheduler": "Airflow"},
    [
        ("ingestion", "Reading the source data, with validation of its shape."),
        ("processing", "The transformations, as pure functions that are easy to test."),
        ("storage", "Writing results to storage in a documented layout."),
        ("monitoring", "Scheduling, logging, metrics and alerts on failed runs."),
    ],
)

TEMPLATES: Mapping[str, ProjectTemplate] = MappingProxyType(
    {template.name: template for template in (WEB_APP, API_SERVICE, DATA_PIPELINE)}
)


def template_from_label(
    label: str, templates: Mapping[str, ProjectTemplate] = TEMPLATES
) -> ProjectTemplate | None:
    """`template:web_app`, `Template: Web-App`, … → the template of `templates` (the
    built-in ones, or with those plugins add); anything else → None."""
    prefix, _, rest = label.partition(":")
    if not rest or prefix.strip().lower() != TEMPLATE_LABEL_PREFIX.rstrip(":"):
        return None
    name = rest.strip().lower().replace("-", "_").replace(" ", "_")
    return templates.get(name)


def pick_template(
    options: RepoOptions,
    labels: Iterable[str],
    templates: Mapping[str, ProjectTemplate] = TEMPLATES,
) -> ProjectTemplate | None:
    """A known `template:<name>` label wins over the option. Of several template labels the
    first in alphabetical order counts, so the choice does not depend on label order."""
    for label in sorted(labels):
        template = template_from_label(label, templates)
        if template is not None:
            return template
    return templates.get(options.template) if options.template else None


def template_brief(template: ProjectTemplate) -> str:
    """The text that seeds the agents' stack and phase skeleton."""
    lines = [BRIEF_HEADING.format(title=template.title, name=template.name)]
    lines += [template.description, "", BRIEF_STACK]
    lines += [f"- {area}: {choice}" for area, choice in template.stack.items()]
    lines += ["", BRIEF_PHASES]
    lines += [
        f"{number}. {phase.name}: {phase.purpose}"
        for number, phase in enumerate(template.phases, start=1)
    ]
    return "\n".join(lines)
