"""typed states: phases.state and projects.step as enum columns; began holds a typed marker

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The values as they are at this revision (storage/states.py may grow later, with a migration).
PHASE_STATES = (
    "planned",
    "coding",
    "in_review",
    "revising",
    "waiting_ci",
    "waiting_human",
    "merged",
    "skipped",
    "failed",
)
PROJECT_STEPS = (
    "planning",
    "plan_file",
    "planned",
    "awaiting_approval",
    "phases",
    "legacy",
    "integrating",
    "done",
    "legacy_done",
    "failed",
    "aborted",
)


def _enum(values: Sequence[str], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    # The one marker whose text changes: `regenerate:commit` read as kind `regenerate` with
    # the argument `commit`; it is a kind of its own now.
    op.execute("UPDATE phases SET began = 'regenerate_commit' WHERE began = 'regenerate:commit'")
    # Batch mode: SQLite cannot add a CHECK constraint in place, so Alembic copies the table.
    with op.batch_alter_table("phases") as batch:
        batch.alter_column(
            "state",
            existing_type=sa.String(length=32),
            type_=_enum(PHASE_STATES, "phase_state"),
            existing_nullable=False,
        )
    with op.batch_alter_table("projects") as batch:
        batch.alter_column(
            "step",
            existing_type=sa.String(length=32),
            type_=_enum(PROJECT_STEPS, "project_step"),
            existing_nullable=False,
            existing_server_default=sa.text("'planning'"),
        )
        batch.alter_column(
            "began",
            existing_type=sa.String(length=64),
            type_=sa.String(length=128),
            existing_nullable=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.alter_column(
            "began",
            existing_type=sa.String(length=128),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
        batch.alter_column(
            "step",
            existing_type=_enum(PROJECT_STEPS, "project_step"),
            type_=sa.String(length=32),
            existing_nullable=False,
            existing_server_default=sa.text("'planning'"),
        )
    with op.batch_alter_table("phases") as batch:
        batch.alter_column(
            "state",
            existing_type=_enum(PHASE_STATES, "phase_state"),
            type_=sa.String(length=32),
            existing_nullable=False,
        )
    op.execute("UPDATE phases SET began = 'regenerate:commit' WHERE began = 'regenerate_commit'")
