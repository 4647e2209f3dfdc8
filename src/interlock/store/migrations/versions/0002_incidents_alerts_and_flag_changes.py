"""Incidents, their alerts and transitions; `flag` joins the kinds of change events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

# What revision 0001 named the constraint: the naming convention applied to its full name.
_FIRST_CHECK = "ck_change_events_ck_change_events_kind"


def _kinds(*kinds: str) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def _change_events(check: str, *kinds: str) -> sa.Table:
    # SQLite's reflection loses the CHECK constraint's name, so the batch copy is told the
    # table as it stands; PostgreSQL alters in place and does not use this.
    return sa.Table(
        "change_events",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("service", sa.String(255), nullable=False),
        sa.Column("environment", sa.String(255), nullable=True),
        sa.Column("version", sa.String(255), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False, server_default=""),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_change_events"),
        sa.CheckConstraint(_kinds(*kinds), name=check),
        sa.Index("ix_change_events_occurred_at", "occurred_at"),
        sa.Index("ix_change_events_service_occurred_at", "service", "occurred_at"),
    )


def upgrade() -> None:
    old = _change_events(_FIRST_CHECK, "deploy", "migration", "config")
    with op.batch_alter_table("change_events", copy_from=old) as batch:
        batch.drop_constraint(op.f(_FIRST_CHECK), type_="check")
        batch.create_check_constraint(
            op.f("ck_change_events_kind"), _kinds("deploy", "migration", "config", "flag")
        )
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_alert_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("origin", sa.String(255), nullable=True),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("trace_ids", sa.JSON(), nullable=False),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        sa.Column("firing_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
        sa.CheckConstraint(
            "state IN ('pending', 'open', 'acknowledged', 'resolved', 'suppressed')",
            name="ck_incidents_state",
        ),
    )
    op.create_index("ix_incidents_state_last_alert_at", "incidents", ["state", "last_alert_at"])
    op.create_index("ix_incidents_started_at", "incidents", ["started_at"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("service", sa.String(255), nullable=True),
        sa.Column("service_label", sa.String(255), nullable=True),
        sa.Column("unmapped", sa.String(255), nullable=True),
        sa.Column("severity", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("annotations", sa.JSON(), nullable=False),
        sa.Column("generator_url", sa.Text(), nullable=True),
        sa.Column("group_key", sa.Text(), nullable=True),
        sa.Column("trace_ids", sa.JSON(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("join_reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_alerts_incident_id_incidents"
        ),
        sa.CheckConstraint("status IN ('firing', 'resolved')", name="ck_alerts_status"),
    )
    op.create_index("ix_alerts_fingerprint_id", "alerts", ["fingerprint", "id"])
    op.create_index("ix_alerts_incident_id", "alerts", ["incident_id"])
    op.create_table(
        "incident_transitions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_incident_transitions"),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name="fk_incident_transitions_incident_id_incidents",
        ),
    )
    op.create_index("ix_incident_transitions_incident_id", "incident_transitions", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_incident_transitions_incident_id", table_name="incident_transitions")
    op.drop_table("incident_transitions")
    op.drop_index("ix_alerts_incident_id", table_name="alerts")
    op.drop_index("ix_alerts_fingerprint_id", table_name="alerts")
    op.drop_table("alerts")
    op.drop_index("ix_incidents_started_at", table_name="incidents")
    op.drop_index("ix_incidents_state_last_alert_at", table_name="incidents")
    op.drop_table("incidents")
    new = _change_events("ck_change_events_kind", "deploy", "migration", "config", "flag")
    with op.batch_alter_table("change_events", copy_from=new) as batch:
        batch.drop_constraint(op.f("ck_change_events_kind"), type_="check")
        batch.create_check_constraint(op.f(_FIRST_CHECK), _kinds("deploy", "migration", "config"))
