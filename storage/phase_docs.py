"""Phase documentation: what each phase set out to do, decided and produced, per project.

The fields are the seed report's `PhaseDocumentation`. A phase's Markdown is committed beside
the plan (`.ai-orchestrator/issue-<n>/phase-<k>.md`); a project's docs export as Markdown or
JSON. Plan-level documents (brainstorming, architecture, integration) have no phase number.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, field_validator
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import JSONType, UTCDateTime, utcnow

# A generated file is described, never copied: the code lives in the repository.
MAX_FILE_NOTE_CHARS = 500


class PhaseDocBase(SQLModel):
    project_id: int = Field(index=True)
    phase: int | None = None  # None for plan-level documents
    phase_name: str = Field(max_length=255)
    phase_type: str = Field(max_length=64)
    summary: str = ""
    objectives: list[str] = Field(default_factory=list, sa_type=JSONType)
    deliverables: list[str] = Field(default_factory=list, sa_type=JSONType)
    dependencies: list[str] = Field(default_factory=list, sa_type=JSONType)
    technical_decisions: dict[str, str] = Field(default_factory=dict, sa_type=JSONType)
    implementation_notes: list[str] = Field(default_factory=list, sa_type=JSONType)
    validation_criteria: list[str] = Field(default_factory=list, sa_type=JSONType)
    # path -> one-line description or content sha256; never the file's contents.
    generated_files: dict[str, str] = Field(default_factory=dict, sa_type=JSONType)
    artifacts: list[str] = Field(default_factory=list, sa_type=JSONType)
    # One line per CI round: the checks that failed, their conclusion, what the fix changed.
    ci_rounds: list[str] = Field(default_factory=list, sa_type=JSONType)
    status: str = Field(max_length=64)
    duration_seconds: float = 0.0
    agent_used: str = Field(max_length=64)


class PhaseDocCreate(PhaseDocBase):
    @field_validator("generated_files")
    @classmethod
    def _notes_not_contents(cls, value: dict[str, str]) -> dict[str, str]:
        for path, note in value.items():
            if len(note) > MAX_FILE_NOTE_CHARS or "\n" in note:
                raise ValueError(
                    f"generated_files[{path!r}] must be a one-line description or sha "
                    f"(at most {MAX_FILE_NOTE_CHARS} characters), not the file's contents"
                )
        return value


class PhaseDoc(PhaseDocBase, table=True):
    __tablename__ = "phase_docs"
    __table_args__ = (UniqueConstraint("project_id", "phase_name"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PhaseDocPublic(PhaseDocBase):
    id: int
    created_at: datetime
    updated_at: datetime


async def save_phase_doc(
    session: AsyncSession, doc: PhaseDocCreate, *, now: datetime | None = None
) -> PhaseDoc:
    """Inserts the document or replaces the project's one of the same phase name (keeping its
    creation time). The caller owns the transaction."""
    now = now or utcnow()
    statement = select(PhaseDoc).where(
        PhaseDoc.project_id == doc.project_id, PhaseDoc.phase_name == doc.phase_name
    )
    existing = (await session.exec(statement)).one_or_none()
    if existing is None:
        saved = PhaseDoc.model_validate(doc, update={"created_at": now, "updated_at": now})
    else:
        saved = existing.sqlmodel_update(doc.model_dump(), update={"updated_at": now})
    session.add(saved)
    await session.flush()
    return saved


async def project_docs(session: AsyncSession, *, project_id: int) -> list[PhaseDoc]:
    """The project's documents: plan-level ones first, then by phase."""
    statement = (
        select(PhaseDoc)
        .where(PhaseDoc.project_id == project_id)
        .order_by(col(PhaseDoc.phase).is_not(None), col(PhaseDoc.phase), col(PhaseDoc.id))
    )
    return list(await session.exec(statement))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _bullets(items: Sequence[str]) -> list[str]:
    return [f"- {_one_line(item)}" for item in items] or ["- (none)"]


def _pairs(items: dict[str, str], *, code_keys: bool = False) -> list[str]:
    def label(key: str) -> str:
        return f"`{key}`" if code_keys else f"**{_one_line(key)}**"

    return [f"- {label(key)}: {_one_line(value)}" for key, value in items.items()] or ["- (none)"]


def _title(doc: PhaseDocBase) -> str:
    prefix = "Plan" if doc.phase is None else f"Phase {doc.phase}"
    return f"{prefix}: {_one_line(doc.phase_name)}"


def _sections(doc: PhaseDocBase, level: str) -> list[str]:
    lists: list[tuple[str, list[str]]] = [
        ("Objectives", _bullets(doc.objectives)),
        ("Deliverables", _bullets(doc.deliverables)),
        ("Dependencies", _bullets(doc.dependencies)),
        ("Technical decisions", _pairs(doc.technical_decisions)),
        ("Implementation notes", _bullets(doc.implementation_notes)),
        ("Validation criteria", _bullets(doc.validation_criteria)),
        ("Generated files", _pairs(doc.generated_files, code_keys=True)),
        ("Artifacts", _bullets(doc.artifacts)),
    ]
    if doc.ci_rounds:  # only phases whose CI failed have this section
        lists.append(("CI rounds", _bullets(doc.ci_rounds)))
    lines: list[str] = []
    for heading, body in lists:
        lines += ["", f"{level} {heading}", "", *body]
    return lines


def _render(doc: PhaseDocBase, level: int) -> list[str]:
    facts = [
        f"- Type: {doc.phase_type}",
        f"- Status: {doc.status}",
        f"- Agent: {doc.agent_used}",
        f"- Duration: {doc.duration_seconds:.1f} s",
    ]
    if isinstance(doc, PhaseDoc):
        # Creation time only: re-rendering an updated doc should not churn a timestamp.
        facts.append(f"- Recorded: {doc.created_at.isoformat(timespec='seconds')}")
    summary = doc.summary.strip() or "(no summary)"
    heading = "#" * level
    return [f"{heading} {_title(doc)}", "", *facts, "", summary, *_sections(doc, heading + "#")]


def render_phase_markdown(doc: PhaseDocBase) -> str:
    """One document as a Markdown file of its own."""
    return "\n".join(_render(doc, 1)) + "\n"


def render_project_markdown(docs: Sequence[PhaseDocBase]) -> str:
    """All of a project's documents in one Markdown file, in the order given."""
    lines = ["# Phase documentation"]
    if not docs:
        lines += ["", "No phase documentation yet."]
    for doc in docs:
        lines += ["", *_render(doc, 2)]
    return "\n".join(lines) + "\n"


_PUBLIC_LIST = TypeAdapter(list[PhaseDocPublic])


def docs_json(docs: Sequence[PhaseDoc]) -> str:
    """The documents as a JSON array (every field, timestamps in ISO 8601)."""
    public: list[Any] = [PhaseDocPublic.model_validate(doc) for doc in docs]
    return _PUBLIC_LIST.dump_json(public, indent=2).decode() + "\n"
