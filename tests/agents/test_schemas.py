"""The answer schemas fit both providers' structured-output rules, and search/replace edits
apply exactly or fail clearly."""

from __future__ import annotations

from typing import Any

import pytest
from anthropic import transform_schema
from openai.lib._parsing import type_to_response_format_param
from pydantic import BaseModel, ValidationError

from agents import schemas
from agents.errors import EditError
from agents.schemas import Edit, InlineComment, Review, apply_edits
from tests.scriptedmodel.project import ScriptedProject
from tests.scriptedmodel.wire import strict_schema_problem

ANSWERS = [
    value
    for value in vars(schemas).values()
    if isinstance(value, type)
    and issubclass(value, schemas.Answer)
    and value is not schemas.Answer
    and value.__module__ == schemas.__name__
]
TOP_LEVEL: list[type[BaseModel]] = [
    schemas.Brainstorm, schemas.Architecture, schemas.Breakdown, schemas.BreakdownReview,
    schemas.RecoveryDecision, schemas.PhaseFiles, schemas.Revision, schemas.Review,
    schemas.PullRequestText, schemas.ConflictResolution, schemas.IntegrationSummary,
]  # fmt: skip


def _walk(schema: Any) -> list[dict[str, Any]]:
    if isinstance(schema, dict):
        return [schema, *(node for value in schema.values() for node in _walk(value))]
    if isinstance(schema, list):
        return [node for value in schema for node in _walk(value)]
    return []


@pytest.mark.parametrize("answer", TOP_LEVEL, ids=lambda answer: answer.__name__)
def test_schemas_fit_openai_strict_mode_and_anthropic(answer: type[BaseModel]) -> None:
    response_format: Any = type_to_response_format_param(answer)
    strict = response_format["json_schema"]["schema"]
    assert strict_schema_problem(strict) is None
    # Strict mode would otherwise change meaning: no defaults, no open dicts.
    for node in _walk(answer.model_json_schema()):
        assert "default" not in node
        if node.get("type") == "object":
            assert node.get("additionalProperties") is False
    assert transform_schema(answer)["title"] == answer.__name__


def test_every_answer_type_is_reached_from_a_step() -> None:
    nodes = [node for answer in TOP_LEVEL for node in _walk(answer.model_json_schema())]
    reached = {node["title"] for node in nodes if isinstance(node.get("title"), str)}
    assert {answer.__name__ for answer in ANSWERS} <= reached


def test_inline_comment_lines_and_scores_are_bounded() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        InlineComment(path="a.py", line=0, body="x")
    review = ScriptedProject(phases=1).review(1).model_dump()
    review["compliance_score"] = 140
    with pytest.raises(ValidationError, match="less than or equal to 100"):
        Review.model_validate(review)


def test_breakdown_rejects_duplicate_ids_and_self_dependencies() -> None:
    phases = ScriptedProject(phases=2).breakdown().model_dump()["phases"]
    with pytest.raises(ValidationError, match=r"phase ids must be unique, got \[1, 1\]"):
        schemas.Breakdown.model_validate({"phases": [phases[0], phases[0]]})
    phases[1]["dependencies"] = [2]
    with pytest.raises(ValidationError, match="phase 2 depends on itself"):
        schemas.Breakdown.model_validate({"phases": phases})


def test_apply_edits_in_order() -> None:
    original = "def a():\n    return 1\n\ndef b():\n    return 2\n"
    edits = [
        Edit(path="m.py", search="return 1", replace="return 10"),
        Edit(path="m.py", search="return 10\n", replace="return 10\n\n# sorted\n"),
    ]

    assert apply_edits(original, edits) == (
        "def a():\n    return 10\n\n# sorted\n\ndef b():\n    return 2\n"
    )


@pytest.mark.parametrize(
    ("search", "problem"),
    [("return 3", "not found"), ("return", "found 2 times"), ("", "not found")],
)
def test_an_edit_that_does_not_match_exactly_once_fails(search: str, problem: str) -> None:
    original = "def a():\n    return 1\n\ndef b():\n    return 2\n"
    edits = [
        Edit(path="m.py", search="def a", replace="def a"),
        Edit(path="m.py", search=search, replace="x"),
    ]

    with pytest.raises(EditError) as raised:
        apply_edits(original, edits)

    assert str(raised.value) == (
        f"edit 2 on m.py: search text {problem}; it must occur exactly once"
    )
