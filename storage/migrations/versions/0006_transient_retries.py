"""Jobs retried through GitHub's outages: the attempts that ended on a transient error, and
when the job's current run of them began

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(
            sa.Column(
                "transient_attempts", sa.Integer(), nullable=False, server_default=sa.text("0")
            )
        )
        batch.add_column(sa.Column("transient_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("transient_since")
        batch.drop_column("transient_attempts")
