"""The broker's tokens, audit trail, webhooks and webhook runs; a consumer version may
publish a pact and a database contract with the same provider.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("broker_publications") as batch:
        batch.add_column(
            sa.Column("specification", sa.String(length=32), nullable=False, server_default="pact")
        )
        batch.drop_constraint(
            op.f("uq_broker_publications_consumer_version_id_provider_id"), type_="unique"
        )
        batch.create_unique_constraint(
            op.f("uq_broker_publications_version_provider_specification"),
            ["consumer_version_id", "provider_id", "specification"],
        )
    op.execute(
        "UPDATE broker_publications SET specification = (SELECT specification FROM "
        "broker_contents WHERE broker_contents.id = broker_publications.content_id)"
    )
    op.create_table(
        "broker_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_broker_tokens_digest")),
    )
    op.create_table(
        "broker_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("client", sa.String(length=255), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_audit")),
    )
    op.create_index(
        op.f("ix_broker_audit_occurred_at"), "broker_audit", ["occurred_at"], unique=False
    )
    op.create_table(
        "broker_webhooks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("consumer", sa.String(length=255), nullable=True),
        sa.Column("provider", sa.String(length=255), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_webhooks")),
        sa.UniqueConstraint("uuid", name=op.f("uq_broker_webhooks_uuid")),
    )
    op.create_table(
        "broker_webhook_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("delivery", sa.String(length=36), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["broker_webhooks.id"],
            name=op.f("fk_broker_webhook_runs_webhook_id_broker_webhooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_webhook_runs")),
    )
    op.create_index(
        op.f("ix_broker_webhook_runs_webhook_id_id"),
        "broker_webhook_runs",
        ["webhook_id", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_broker_webhook_runs_occurred_at"),
        "broker_webhook_runs",
        ["occurred_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_broker_webhook_runs_occurred_at"), table_name="broker_webhook_runs")
    op.drop_index(op.f("ix_broker_webhook_runs_webhook_id_id"), table_name="broker_webhook_runs")
    op.drop_table("broker_webhook_runs")
    op.drop_table("broker_webhooks")
    op.drop_index(op.f("ix_broker_audit_occurred_at"), table_name="broker_audit")
    op.drop_table("broker_audit")
    op.drop_table("broker_tokens")
    with op.batch_alter_table("broker_publications") as batch:
        batch.drop_constraint(
            op.f("uq_broker_publications_version_provider_specification"),
            type_="unique",
        )
        batch.create_unique_constraint(
            op.f("uq_broker_publications_consumer_version_id_provider_id"),
            ["consumer_version_id", "provider_id"],
        )
        batch.drop_column("specification")
