"""Plugins: what each plugin was given of each event, one row per (event key, plugin), so a
job run again after a crash does not notify twice

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-20 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The values as they are at this revision (storage/plugin_deliveries.py may grow later).
OUTCOMES = ("delivered", "failed", "timed_out")


def upgrade() -> None:
    op.create_table(
        "plugin_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("plugin", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("hook", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                *OUTCOMES,
                name="plugin_outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_key", "plugin", name="uq_plugin_delivery"),
    )
    op.create_index("ix_plugin_deliveries_project_id", "plugin_deliveries", ["project_id"])


def downgrade() -> None:
    op.drop_index("ix_plugin_deliveries_project_id", table_name="plugin_deliveries")
    op.drop_table("plugin_deliveries")
