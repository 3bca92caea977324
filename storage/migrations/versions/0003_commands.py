"""commands: who paused, the failed job to retry, 64-bit comment ids

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 23:31:29.826833
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # Batch mode: SQLite cannot ALTER a column's type in place, so Alembic copies the table.
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column(
            "comment_id", existing_type=sa.INTEGER(), type_=sa.BigInteger(), existing_nullable=True
        )
    op.add_column("phases", sa.Column("failed_job", _json(), nullable=True))
    op.add_column(
        "projects",
        sa.Column("paused_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    )
    op.add_column("projects", sa.Column("failed_job", _json(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("failed_job")
        batch.drop_column("paused_by")
    with op.batch_alter_table("phases") as batch:
        batch.drop_column("failed_job")
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column(
            "comment_id", existing_type=sa.BigInteger(), type_=sa.INTEGER(), existing_nullable=True
        )
