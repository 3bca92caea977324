"""The plan file: the seed report's structure, byte-for-byte stable, and YAML-safe."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from agents.schemas import Architecture, Commands, Component, MicroPhase, StackItem
from bot.files.plan_file import iso_utc, phase_doc_path, plan_path, plan_yaml
from bot.workflow.resume import parse_plan

CREATED = datetime(2025, 7, 2, 12, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2)))

ARCHITECTURE = Architecture(
    system_overview="A small web service.\nIt greets people.\n",
    technology_stack=[
        StackItem(area="backend", choice="Python/FastAPI"),
        StackItem(area="database", choice="SQLite"),
    ],
    components=[
        Component(name="API Server", type="backend", responsibilities=["Routing", "Greeting"]),
    ],
    coding_standards=["PEP 8", "Type hints everywhere"],
    commands=Commands(setup=["pip install -e '.[test]'"], test=["pytest -q"]),
)


def phase(number: int, **overrides: Any) -> MicroPhase:
    fields: dict[str, Any] = {
        "id": number,
        "name": f"Phase {number}",
        "description": "Does one thing.",
        "phase_type": "feature",
        "files_to_create": [f"src/p{number}.py"],
        "tests_to_write": [f"tests/test_p{number}.py"],
        "dependencies": list(range(1, number)),
        "priority": 2,
        "acceptance_criteria": ["It works"],
        "implementation_approach": "Write it simply.",
    }
    return MicroPhase.model_validate(fields | overrides)


def render(**overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "project_name": "Hello World",
        "project_ref": "octo-org/hello-world#12",
        "created_at": CREATED,
        "architecture": ARCHITECTURE,
        "phases": [phase(1), phase(2)],
        "features": None,
        "template": None,
    }
    return plan_yaml(**(arguments | overrides))


RENDER_ELSEWHERE = (
    "import sys; from tests.files.test_plan_file import render; "
    "sys.stdout.buffer.write(render().encode())"
)

EXPECTED = """\
# The plan AI Orchestrator made for octo-org/hello-world#12. Generated; do not edit by hand.
project_name: Hello World
session_id: octo-org/hello-world#12
created_at: '2025-07-02T10:30:05Z'
system_overview: |
  A small web service.
  It greets people.
technology_stack:
  backend: Python/FastAPI
  database: SQLite
components:
- name: API Server
  type: backend
  responsibilities:
  - Routing
  - Greeting
coding_standards:
- PEP 8
- Type hints everywhere
commands:
  setup:
  - pip install -e '.[test]'
  test:
  - pytest -q
micro_phase_plans:
- id: 1
  name: Phase 1
  description: Does one thing.
  phase_type: feature
  files_to_create:
  - src/p1.py
  tests_to_write:
  - tests/test_p1.py
  dependencies: []
  priority: 2
  acceptance_criteria:
  - It works
  implementation_approach: Write it simply.
- id: 2
  name: Phase 2
  description: Does one thing.
  phase_type: feature
  files_to_create:
  - src/p2.py
  tests_to_write:
  - tests/test_p2.py
  dependencies:
  - 1
  priority: 2
  acceptance_criteria:
  - It works
  implementation_approach: Write it simply.
"""


def test_the_plan_file_text() -> None:
    assert render() == EXPECTED


def test_the_same_inputs_give_the_same_bytes() -> None:
    # Another worker process (another hash seed: another order for sets of strings) writes
    # the same bytes, so a re-run commits nothing new.
    here = render().encode()
    for seed in ("1", "2"):
        there = subprocess.run(
            [sys.executable, "-c", RENDER_ELSEWHERE],
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            check=True,
        ).stdout
        assert there == here
    rebuilt = Architecture.model_validate_json(ARCHITECTURE.model_dump_json())
    assert render(architecture=rebuilt) == render()


def test_template_and_features_when_given() -> None:
    plan = yaml.safe_load(render(template="web_app", features=["Greeting", "Farewell"]))
    assert list(plan)[:5] == ["project_name", "session_id", "created_at", "template", "features"]
    assert plan["template"] == "web_app"
    assert plan["features"] == ["Greeting", "Farewell"]


def test_a_stack_area_named_twice_keeps_both_choices() -> None:
    architecture = ARCHITECTURE.model_copy(
        update={
            "technology_stack": [
                StackItem(area="backend", choice="FastAPI"),
                StackItem(area="backend", choice="Celery"),
            ]
        }
    )
    plan = yaml.safe_load(render(architecture=architecture))
    assert plan["technology_stack"] == {"backend": "FastAPI, Celery"}


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "null",
        "1.0",
        "- looks like a list",
        "key: value",
        "{flow: mapping}",
        "&anchor *alias",
        "!!python/object/apply:os.system ['id']",
        "# not a comment",
        "trailing spaces   \nand a tab\there",
        "  leading spaces\nsecond line",
        "unicode ünï 名前 \u202e bidi",
        "'quotes' and \"doubles\"",
        "",
    ],
)
def test_any_text_round_trips(text: str) -> None:
    hostile = phase(1, name=text, description=text, acceptance_criteria=[text])
    plan = yaml.safe_load(render(phases=[hostile], project_name=text))
    assert plan["project_name"] == text
    [loaded] = plan["micro_phase_plans"]
    assert loaded["name"] == text
    assert loaded["description"] == text
    assert loaded["acceptance_criteria"] == [text]


def test_a_reference_with_a_newline_cannot_escape_the_comment() -> None:
    text = render(project_ref="o/r#1\nproject_name: forged")
    assert yaml.safe_load(text)["project_name"] == "Hello World"
    assert text.splitlines()[0].endswith(
        "o/r#1 project_name: forged. Generated; do not edit by hand."
    )


def test_created_at_is_iso_utc_whole_seconds() -> None:
    assert iso_utc(CREATED) == "2025-07-02T10:30:05Z"
    assert iso_utc(datetime(2025, 1, 1, tzinfo=UTC)) == "2025-01-01T00:00:00Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        iso_utc(datetime(2025, 1, 1))


def test_paths() -> None:
    assert plan_path(12) == ".ai-orchestrator/issue-12/plan.yaml"
    assert phase_doc_path(12, 3) == ".ai-orchestrator/issue-12/phase-3.md"
    with pytest.raises(ValueError):
        plan_path(0)
    with pytest.raises(ValueError):
        phase_doc_path(12, 0)


def test_the_plan_file_reads_back_with_its_commands() -> None:
    parsed = parse_plan(render())
    assert parsed is not None
    architecture, phases, _ = parsed
    assert architecture.commands == ARCHITECTURE.commands
    assert [p.id for p in phases] == [1, 2]
    older = render().replace(
        "commands:\n  setup:\n  - pip install -e '.[test]'\n  test:\n  - pytest -q\n", ""
    )
    assert "commands:" not in older  # a plan file written before the field existed
    parsed_older = parse_plan(older)
    assert parsed_older is not None and parsed_older[0].commands == Commands(setup=[], test=[])
