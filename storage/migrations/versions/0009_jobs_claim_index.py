"""Jobs: one index on (status, run_after) for the claim, in place of one on each column

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 15:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_jobs_status_run_after", "jobs", ["status", "run_after"])
    op.drop_index("ix_jobs_status", table_name="jobs")
    op.drop_index("ix_jobs_run_after", table_name="jobs")


def downgrade() -> None:
    op.create_index("ix_jobs_run_after", "jobs", ["run_after"])
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.drop_index("ix_jobs_status_run_after", table_name="jobs")
