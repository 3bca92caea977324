"""Phase documentation: upsert by phase name, order, Markdown and JSON renderings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from storage.db import SessionMaker, transaction
from storage.phase_docs import (
    PhaseDocCreate,
    docs_json,
    project_docs,
    render_phase_markdown,
    render_project_markdown,
    save_phase_doc,
)

NOW = datetime(2025, 7, 2, 10, 30, tzinfo=UTC)


def doc(**overrides: Any) -> PhaseDocCreate:
    fields: dict[str, Any] = {
        "project_id": 1,
        "phase": 2,
        "phase_name": "Token storage",
        "phase_type": "implementation",
        "summary": "Stores refresh tokens encrypted at rest.",
        "objectives": ["Persist tokens", "Rotate on use"],
        "deliverables": ["TokenStore class"],
        "dependencies": ["phase-1"],
        "technical_decisions": {"cipher": "AES-GCM via cryptography"},
        "implementation_notes": ["Keys come from the environment"],
        "validation_criteria": ["Round-trips a token"],
        "generated_files": {"app/tokens.py": "TokenStore with save/load"},
        "artifacts": ["coverage.xml"],
        "status": "completed",
        "duration_seconds": 42.25,
        "agent_used": "developer",
    }
    fields.update(overrides)
    return PhaseDocCreate(**fields)


async def test_save_upserts_by_project_and_phase_name(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        first = await save_phase_doc(session, doc(), now=NOW)
        await save_phase_doc(session, doc(project_id=2), now=NOW)
    later = NOW + timedelta(minutes=5)
    async with transaction(sessions) as session:
        second = await save_phase_doc(session, doc(status="revised", objectives=["x"]), now=later)
    assert second.id == first.id
    async with transaction(sessions) as session:
        saved = await project_docs(session, project_id=1)
    assert len(saved) == 1
    assert (saved[0].status, saved[0].objectives) == ("revised", ["x"])
    assert (saved[0].created_at, saved[0].updated_at) == (NOW, later)
    assert saved[0].technical_decisions == {"cipher": "AES-GCM via cryptography"}


async def test_project_docs_come_plan_first_then_by_phase(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        for phase, name in ((3, "C"), (1, "A"), (None, "Architecture"), (2, "B")):
            await save_phase_doc(session, doc(phase=phase, phase_name=name))
        docs = await project_docs(session, project_id=1)
    assert [d.phase_name for d in docs] == ["Architecture", "A", "B", "C"]


def test_generated_files_hold_descriptions_not_contents() -> None:
    with pytest.raises(ValidationError, match="not the file's contents"):
        doc(generated_files={"app/main.py": "import os\nprint(os.environ)"})
    with pytest.raises(ValidationError, match="not the file's contents"):
        doc(generated_files={"app/main.py": "x" * 501})


async def test_phase_markdown_shows_every_field(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        saved = await save_phase_doc(session, doc(), now=NOW)
    text = render_phase_markdown(saved)
    assert text.startswith("# Phase 2: Token storage\n")
    for expected in (
        "- Type: implementation",
        "- Status: completed",
        "- Agent: developer",
        "- Duration: 42.2 s",
        "- Recorded: 2025-07-02T10:30:00+00:00",
        "Stores refresh tokens encrypted at rest.",
        "## Objectives\n\n- Persist tokens\n- Rotate on use",
        "## Deliverables\n\n- TokenStore class",
        "## Dependencies\n\n- phase-1",
        "## Technical decisions\n\n- **cipher**: AES-GCM via cryptography",
        "## Implementation notes\n\n- Keys come from the environment",
        "## Validation criteria\n\n- Round-trips a token",
        "## Generated files\n\n- `app/tokens.py`: TokenStore with save/load",
        "## Artifacts\n\n- coverage.xml",
    ):
        assert expected in text


def test_markdown_keeps_list_items_on_one_line_and_marks_empty_sections() -> None:
    text = render_phase_markdown(doc(phase=None, objectives=["two\nlines"], artifacts=[]))
    assert text.startswith("# Plan: Token storage\n")
    assert "- two lines\n" in text
    assert "## Artifacts\n\n- (none)\n" in text


def test_project_markdown_nests_each_document() -> None:
    text = render_project_markdown([doc(phase=None, phase_name="Architecture"), doc()])
    assert text.startswith("# Phase documentation\n")
    assert "\n## Plan: Architecture\n" in text and "\n## Phase 2: Token storage\n" in text
    assert "\n### Generated files\n" in text
    assert "No phase documentation yet." in render_project_markdown([])


async def test_docs_json_round_trips_every_field(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        saved = await save_phase_doc(session, doc(), now=NOW)
    [exported] = json.loads(docs_json([saved]))
    expected = doc().model_dump() | {
        "id": saved.id,
        "created_at": "2025-07-02T10:30:00Z",
        "updated_at": "2025-07-02T10:30:00Z",
    }
    assert exported == expected
