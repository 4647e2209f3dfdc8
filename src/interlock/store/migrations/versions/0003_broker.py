"""The contract broker: pacticipants, versions, branches, tags, contents, publications,
verifications, environments and deployments.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "broker_contents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("specification", sa.String(length=32), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_contents")),
        sa.UniqueConstraint("sha", name=op.f("uq_broker_contents_sha")),
    )
    op.create_table(
        "broker_environments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("production", sa.Boolean(), nullable=False),
        sa.Column("contacts", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_environments")),
        sa.UniqueConstraint("name", name=op.f("uq_broker_environments_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_broker_environments_uuid")),
    )
    op.create_table(
        "broker_pacticipants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("main_branch", sa.String(length=255), nullable=True),
        sa.Column("repository_url", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_pacticipants")),
        sa.UniqueConstraint("name", name=op.f("uq_broker_pacticipants_name")),
    )
    op.create_table(
        "broker_branches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pacticipant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pacticipant_id"],
            ["broker_pacticipants.id"],
            name=op.f("fk_broker_branches_pacticipant_id_broker_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_branches")),
        sa.UniqueConstraint(
            "pacticipant_id", "name", name=op.f("uq_broker_branches_pacticipant_id_name")
        ),
    )
    op.create_table(
        "broker_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pacticipant_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=255), nullable=False),
        sa.Column("build_url", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pacticipant_id"],
            ["broker_pacticipants.id"],
            name=op.f("fk_broker_versions_pacticipant_id_broker_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_versions")),
        sa.UniqueConstraint(
            "pacticipant_id", "number", name=op.f("uq_broker_versions_pacticipant_id_number")
        ),
    )
    op.create_table(
        "broker_branch_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["broker_branches.id"],
            name=op.f("fk_broker_branch_versions_branch_id_broker_branches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["broker_versions.id"],
            name=op.f("fk_broker_branch_versions_version_id_broker_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_branch_versions")),
        sa.UniqueConstraint(
            "branch_id", "version_id", name=op.f("uq_broker_branch_versions_branch_id_version_id")
        ),
    )
    op.create_index(
        op.f("ix_broker_branch_versions_version_id"),
        "broker_branch_versions",
        ["version_id"],
        unique=False,
    )
    op.create_table(
        "broker_deployments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("pacticipant_id", sa.Integer(), nullable=False),
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("application_instance", sa.String(length=255), nullable=True),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["broker_environments.id"],
            name=op.f("fk_broker_deployments_environment_id_broker_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pacticipant_id"],
            ["broker_pacticipants.id"],
            name=op.f("fk_broker_deployments_pacticipant_id_broker_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["broker_versions.id"],
            name=op.f("fk_broker_deployments_version_id_broker_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_deployments")),
        sa.UniqueConstraint("uuid", name=op.f("uq_broker_deployments_uuid")),
    )
    op.create_index(
        op.f("ix_broker_deployments_environment_id_current_pacticipant_id"),
        "broker_deployments",
        ["environment_id", "current", "pacticipant_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_broker_deployments_version_id"), "broker_deployments", ["version_id"], unique=False
    )
    op.create_table(
        "broker_publications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("consumer_version_id", sa.Integer(), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_id"],
            ["broker_pacticipants.id"],
            name=op.f("fk_broker_publications_consumer_id_broker_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["consumer_version_id"],
            ["broker_versions.id"],
            name=op.f("fk_broker_publications_consumer_version_id_broker_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["broker_contents.id"],
            name=op.f("fk_broker_publications_content_id_broker_contents"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["broker_pacticipants.id"],
            name=op.f("fk_broker_publications_provider_id_broker_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_publications")),
        sa.UniqueConstraint(
            "consumer_version_id",
            "provider_id",
            name=op.f("uq_broker_publications_consumer_version_id_provider_id"),
        ),
    )
    op.create_index(
        op.f("ix_broker_publications_content_id"),
        "broker_publications",
        ["content_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_broker_publications_provider_id_consumer_id_consumer_version_id"),
        "broker_publications",
        ["provider_id", "consumer_id", "consumer_version_id"],
        unique=False,
    )
    op.create_table(
        "broker_tags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["broker_versions.id"],
            name=op.f("fk_broker_tags_version_id_broker_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_tags")),
        sa.UniqueConstraint("version_id", "name", name=op.f("uq_broker_tags_version_id_name")),
    )
    op.create_index(
        op.f("ix_broker_tags_name_version_id"), "broker_tags", ["name", "version_id"], unique=False
    )
    op.create_table(
        "broker_verifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("provider_version_id", sa.Integer(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("build_url", sa.Text(), nullable=True),
        sa.Column("verified_by", sa.JSON(), nullable=True),
        sa.Column("test_results", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["broker_contents.id"],
            name=op.f("fk_broker_verifications_content_id_broker_contents"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_version_id"],
            ["broker_versions.id"],
            name=op.f("fk_broker_verifications_provider_version_id_broker_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_verifications")),
    )
    op.create_index(
        op.f("ix_broker_verifications_content_id_provider_version_id"),
        "broker_verifications",
        ["content_id", "provider_version_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_broker_verifications_provider_version_id"),
        "broker_verifications",
        ["provider_version_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_broker_verifications_provider_version_id"), table_name="broker_verifications"
    )
    op.drop_index(
        op.f("ix_broker_verifications_content_id_provider_version_id"),
        table_name="broker_verifications",
    )
    op.drop_table("broker_verifications")
    op.drop_index(op.f("ix_broker_tags_name_version_id"), table_name="broker_tags")
    op.drop_table("broker_tags")
    op.drop_index(
        op.f("ix_broker_publications_provider_id_consumer_id_consumer_version_id"),
        table_name="broker_publications",
    )
    op.drop_index(op.f("ix_broker_publications_content_id"), table_name="broker_publications")
    op.drop_table("broker_publications")
    op.drop_index(op.f("ix_broker_deployments_version_id"), table_name="broker_deployments")
    op.drop_index(
        op.f("ix_broker_deployments_environment_id_current_pacticipant_id"),
        table_name="broker_deployments",
    )
    op.drop_table("broker_deployments")
    op.drop_index(op.f("ix_broker_branch_versions_version_id"), table_name="broker_branch_versions")
    op.drop_table("broker_branch_versions")
    op.drop_table("broker_versions")
    op.drop_table("broker_branches")
    op.drop_table("broker_pacticipants")
    op.drop_table("broker_environments")
    op.drop_table("broker_contents")
