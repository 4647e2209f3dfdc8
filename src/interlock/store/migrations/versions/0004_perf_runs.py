"""Load test runs per service and commit, and their operations' latency histograms.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "perf_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("service", sa.String(length=255), nullable=False),
        sa.Column("commit", sa.String(length=255), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("target_rate", sa.Float(), nullable=False),
        sa.Column("achieved_rate", sa.Float(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("timeline", sa.JSON(), nullable=False),
        sa.Column("generator", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_perf_runs")),
    )
    op.create_index(
        op.f("ix_perf_runs_service_commit"), "perf_runs", ["service", "commit"], unique=False
    )
    op.create_index(
        op.f("ix_perf_runs_service_started_at"),
        "perf_runs",
        ["service", "started_at"],
        unique=False,
    )
    op.create_table(
        "perf_operations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(length=512), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("p50_ms", sa.Float(), nullable=False),
        sa.Column("p95_ms", sa.Float(), nullable=False),
        sa.Column("p99_ms", sa.Float(), nullable=False),
        sa.Column("max_ms", sa.Float(), nullable=False),
        sa.Column("histogram", sa.JSON(), nullable=False),
        sa.Column("service_histogram", sa.JSON(), nullable=False),
        sa.Column("statuses", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["perf_runs.id"],
            name=op.f("fk_perf_operations_run_id_perf_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_perf_operations")),
        sa.UniqueConstraint(
            "run_id", "operation", name=op.f("uq_perf_operations_run_id_operation")
        ),
    )


def downgrade() -> None:
    op.drop_table("perf_operations")
    op.drop_index(op.f("ix_perf_runs_service_started_at"), table_name="perf_runs")
    op.drop_index(op.f("ix_perf_runs_service_commit"), table_name="perf_runs")
    op.drop_table("perf_runs")
