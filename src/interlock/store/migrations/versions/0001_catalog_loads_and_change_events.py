"""Catalog loads and change events: the first tables of Interlock's own schema.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_loads",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_dir", sa.Text(), nullable=False),
        sa.Column("node_count", sa.Integer(), nullable=False),
        sa.Column("edge_count", sa.Integer(), nullable=False),
        sa.Column("finding_count", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_loads"),
    )
    op.create_index("ix_catalog_loads_loaded_at", "catalog_loads", ["loaded_at"])
    op.create_table(
        "change_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("service", sa.String(255), nullable=False),
        sa.Column("environment", sa.String(255), nullable=True),
        sa.Column("version", sa.String(255), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False, server_default=""),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_change_events"),
        sa.CheckConstraint(
            "kind IN ('deploy', 'migration', 'config')", name="ck_change_events_kind"
        ),
    )
    op.create_index("ix_change_events_occurred_at", "change_events", ["occurred_at"])
    op.create_index(
        "ix_change_events_service_occurred_at", "change_events", ["service", "occurred_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_change_events_service_occurred_at", table_name="change_events")
    op.drop_index("ix_change_events_occurred_at", table_name="change_events")
    op.drop_table("change_events")
    op.drop_index("ix_catalog_loads_loaded_at", table_name="catalog_loads")
    op.drop_table("catalog_loads")
