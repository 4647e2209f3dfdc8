"""Each load test run's span profile: the self time per kind of span in the run's traces,
which `perf check` compares to name what grew.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("perf_runs") as batch:
        batch.add_column(sa.Column("span_profile", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("perf_runs") as batch:
        batch.drop_column("span_profile")
