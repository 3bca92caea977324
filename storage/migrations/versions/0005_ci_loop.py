"""CI closes the loop: the `ci_fixing` phase state, CI rounds per phase, the apps that report
CI on a repository, and the repository's instructions for agents

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = (
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
AFTER = (*BEFORE[:5], "ci_fixing", *BEFORE[5:])


def _states(values: Sequence[str]) -> sa.Enum:
    return sa.Enum(
        *values, name="phase_state", native_enum=False, create_constraint=True, length=32
    )


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("phases") as batch:
        batch.alter_column(
            "state", existing_type=_states(BEFORE), type_=_states(AFTER), existing_nullable=False
        )
        batch.add_column(
            sa.Column("ci_fixes", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch.add_column(
            sa.Column("ci_rounds", _json(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch.add_column(
            sa.Column("ci_reruns", _json(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch.add_column(sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "projects",
        sa.Column("instructions", _json(), nullable=False, server_default=sa.text("'{}'")),
    )
    op.add_column(
        "projects",
        sa.Column("ci_workflow", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    )
    op.add_column(
        "phase_docs",
        sa.Column("ci_rounds", _json(), nullable=False, server_default=sa.text("'[]'")),
    )
    op.create_table(
        "ci_apps",
        sa.Column("repo_id", sa.BigInteger(), nullable=False),
        sa.Column("app_id", sa.BigInteger(), nullable=False),
        sa.Column("app_slug", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("repo_id", "app_id"),
    )


def downgrade() -> None:
    op.drop_table("ci_apps")
    with op.batch_alter_table("phase_docs") as batch:
        batch.drop_column("ci_rounds")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("ci_workflow")
        batch.drop_column("instructions")
    op.execute("UPDATE phases SET state = 'waiting_human' WHERE state = 'ci_fixing'")
    with op.batch_alter_table("phases") as batch:
        batch.drop_column("pushed_at")
        batch.drop_column("ci_reruns")
        batch.drop_column("ci_rounds")
        batch.drop_column("ci_fixes")
        batch.alter_column(
            "state", existing_type=_states(AFTER), type_=_states(BEFORE), existing_nullable=False
        )
