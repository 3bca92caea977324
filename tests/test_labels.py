"""bot.labels: the trigger label and one label per project template, each described."""

from __future__ import annotations

from bot.files.project_templates import TEMPLATES, template_from_label
from bot.labels import DESCRIPTION_LIMIT, app_labels


def test_the_trigger_label_comes_first_then_one_per_template() -> None:
    labels = app_labels("ai-orchestrator")
    assert [label.name for label in labels] == [
        "ai-orchestrator",
        "template:web_app",
        "template:api_service",
        "template:data_pipeline",
    ]
    assert [template_from_label(label.name) for label in labels[1:]] == list(TEMPLATES.values())
    assert (
        labels[1].description
        == "With ai-orchestrator: plan from the Modern Web Application template"
    )


def test_descriptions_fit_githubs_limit_whatever_the_trigger_label() -> None:
    labels = app_labels("x" * 50)
    assert labels[0].name == "x" * 50
    assert all(0 < len(label.description) <= DESCRIPTION_LIMIT for label in labels)
    assert all(len(label.color) == 6 for label in labels)
