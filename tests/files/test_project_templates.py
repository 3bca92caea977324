"""The seed report's three templates, chosen by option or `template:<name>` label."""

from __future__ import annotations

import pytest

from bot.files.project_templates import (
    API_SERVICE,
    BRIEF_PHASES,
    BRIEF_STACK,
    DATA_PIPELINE,
    TEMPLATES,
    WEB_APP,
    pick_template,
    template_brief,
    template_from_label,
)
from bot.options import RepoOptions


def test_templates_carry_the_seed_reports_stacks_and_phases() -> None:
    assert list(TEMPLATES) == ["web_app", "api_service", "data_pipeline"]
    assert WEB_APP.title == "Modern Web Application"
    assert dict(WEB_APP.stack) == {"backend": "FastAPI", "frontend": "React", "db": "PostgreSQL"}
    assert [p.name for p in WEB_APP.phases] == ["auth", "api", "frontend", "testing", "deployment"]
    assert API_SERVICE.title == "REST API Service"
    assert dict(API_SERVICE.stack) == {"backend": "FastAPI", "db": "PostgreSQL", "docs": "OpenAPI"}
    assert [p.name for p in API_SERVICE.phases] == [
        "models",
        "endpoints",
        "auth",
        "testing",
        "docs",
    ]
    assert DATA_PIPELINE.title == "Data Processing Pipeline"
    assert dict(DATA_PIPELINE.stack) == {
        "processing": "Python/Pandas",
        "storage": "S3",
        "scheduler": "Airflow",
    }
    assert [p.name for p in DATA_PIPELINE.phases] == [
        "ingestion",
        "processing",
        "storage",
        "monitoring",
    ]


def test_every_template_is_complete() -> None:
    for name, template in TEMPLATES.items():
        assert template.name == name
        assert template.description
        assert all(phase.purpose for phase in template.phases)


def test_templates_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        WEB_APP.stack["backend"] = "Django"  # type: ignore[index]
    with pytest.raises(TypeError):
        TEMPLATES["desktop"] = WEB_APP  # type: ignore[index]


def test_no_option_and_no_label_picks_nothing() -> None:
    assert pick_template(RepoOptions(), ["bug", "ai-orchestrator"]) is None


def test_the_option_picks_the_template() -> None:
    assert pick_template(RepoOptions(template="data_pipeline"), ["bug"]) is DATA_PIPELINE


def test_a_label_wins_over_the_option() -> None:
    options = RepoOptions(template="web_app")
    assert pick_template(options, ["ai-orchestrator", "template:api_service"]) is API_SERVICE


@pytest.mark.parametrize(
    "label",
    [
        "template:api_service",
        "Template:API_Service",
        "TEMPLATE: api-service",
        "template:api service",
    ],
)
def test_labels_are_read_loosely(label: str) -> None:
    assert template_from_label(label) is API_SERVICE


@pytest.mark.parametrize(
    "label", ["template:desktop", "template:", "api_service", "templates:web_app", "template"]
)
def test_other_labels_are_ignored(label: str) -> None:
    assert template_from_label(label) is None
    assert pick_template(RepoOptions(template="web_app"), [label]) is WEB_APP


def test_of_several_template_labels_the_alphabetically_first_counts() -> None:
    labels = ["template:web_app", "template:desktop", "template:data_pipeline"]
    assert pick_template(RepoOptions(), labels) is DATA_PIPELINE
    assert pick_template(RepoOptions(), list(reversed(labels))) is DATA_PIPELINE


def test_brief_seeds_stack_and_skeleton() -> None:
    assert template_brief(API_SERVICE) == "\n".join(
        [
            "Project template: REST API Service (`api_service`)",
            API_SERVICE.description,
            "",
            BRIEF_STACK,
            "- backend: FastAPI",
            "- db: PostgreSQL",
            "- docs: OpenAPI",
            "",
            BRIEF_PHASES,
            "1. models: The data models, database schema and migrations.",
            "2. endpoints: The REST endpoints: routes, validation, error responses.",
            "3. auth: Authentication and authorization of API clients.",
            "4. testing: Tests of every endpoint, including error cases.",
            "5. docs: The OpenAPI description and a usage guide with examples.",
        ]
    )
