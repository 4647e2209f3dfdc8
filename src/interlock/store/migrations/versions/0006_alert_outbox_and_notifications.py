"""The alert outbox (alerts raised by other packages, correlated by the server), the
notifications sent for incidents, and each incident service's latest alert time.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("incidents", sa.Column("services_last", sa.JSON(), nullable=True))
    op.create_table(
        "alert_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_outbox")),
    )
    op.create_index(
        op.f("ix_alert_outbox_taken_at_id"), "alert_outbox", ["taken_at", "id"], unique=False
    )
    op.create_table(
        "incident_notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("route", sa.String(length=255), nullable=False),
        sa.Column("event", sa.String(length=255), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_notifications_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_notifications")),
        sa.UniqueConstraint(
            "incident_id",
            "route",
            "event",
            name=op.f("uq_incident_notifications_incident_id_route_event"),
        ),
    )


def downgrade() -> None:
    op.drop_table("incident_notifications")
    op.drop_index(op.f("ix_alert_outbox_taken_at_id"), table_name="alert_outbox")
    op.drop_table("alert_outbox")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("services_last")
