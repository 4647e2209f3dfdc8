"""The contract broker's tables: pacticipants, versions, branches, tags, contracts stored by
content, verifications, environments, deployments and releases (migration 0002).

Each read the matrix and can-i-deploy make is one indexed lookup: by version, by content and
provider version, by environment and pacticipant; nothing needs a scan of all versions.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from interlock.store.schema import metadata

NAME = 255

broker_pacticipants = Table(
    "broker_pacticipants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(NAME), nullable=False),
    Column("display_name", String(NAME), nullable=True),
    Column("main_branch", String(NAME), nullable=True),
    Column("repository_url", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("name"),
)

# A version's `id` is its order: versions are created in the order they were first seen.
broker_versions = Table(
    "broker_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "pacticipant_id",
        Integer,
        ForeignKey("broker_pacticipants.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("number", String(NAME), nullable=False),
    Column("build_url", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("pacticipant_id", "number"),
)

broker_branches = Table(
    "broker_branches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "pacticipant_id",
        Integer,
        ForeignKey("broker_pacticipants.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(NAME), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("pacticipant_id", "name"),
)

broker_branch_versions = Table(
    "broker_branch_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "branch_id", Integer, ForeignKey("broker_branches.id", ondelete="CASCADE"), nullable=False
    ),
    Column(
        "version_id", Integer, ForeignKey("broker_versions.id", ondelete="CASCADE"), nullable=False
    ),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("branch_id", "version_id"),
    Index(None, "version_id"),
)

broker_tags = Table(
    "broker_tags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "version_id", Integer, ForeignKey("broker_versions.id", ondelete="CASCADE"), nullable=False
    ),
    Column("name", String(NAME), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("version_id", "name"),
    Index(None, "name", "version_id"),
)

# One row per distinct contract content (SHA-256 of its canonical JSON): a pact published
# unchanged by a hundred consumer versions is stored, and verified, once.
broker_contents = Table(
    "broker_contents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha", String(64), nullable=False),
    Column("specification", String(32), nullable=False),
    Column("content", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("sha"),
)

broker_publications = Table(
    "broker_publications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "consumer_version_id",
        Integer,
        ForeignKey("broker_versions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "consumer_id",
        Integer,
        ForeignKey("broker_pacticipants.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "provider_id",
        Integer,
        ForeignKey("broker_pacticipants.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("content_id", Integer, ForeignKey("broker_contents.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # A consumer version may hold a pact and a database contract with the same provider
    # (orders calls inventory's API and reads inventory's database): one of each (0005).
    Column("specification", String(32), nullable=False, server_default="pact"),
    UniqueConstraint(
        "consumer_version_id",
        "provider_id",
        "specification",
        name="uq_broker_publications_version_provider_specification",  # under 63 characters
    ),
    Index(None, "provider_id", "consumer_id", "consumer_version_id"),
    Index(None, "content_id"),
)

broker_verifications = Table(
    "broker_verifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("content_id", Integer, ForeignKey("broker_contents.id"), nullable=False),
    Column(
        "provider_version_id",
        Integer,
        ForeignKey("broker_versions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("success", Boolean, nullable=False),
    Column("build_url", Text, nullable=True),
    Column("verified_by", JSON, nullable=True),
    Column("test_results", JSON, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index(None, "content_id", "provider_version_id"),
    Index(None, "provider_version_id"),
)

broker_environments = Table(
    "broker_environments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uuid", String(36), nullable=False),
    Column("name", String(NAME), nullable=False),
    Column("display_name", String(NAME), nullable=True),
    Column("production", Boolean, nullable=False),
    Column("contacts", JSON, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("uuid"),
    UniqueConstraint("name"),
)

# A deployment stays a row after it ends (`ended_at`): history for the change events.
# `kind` is "deployed" (a running service) or "released" (a library or app still supported).
broker_deployments = Table(
    "broker_deployments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uuid", String(36), nullable=False),
    Column("kind", String(16), nullable=False),
    Column(
        "version_id", Integer, ForeignKey("broker_versions.id", ondelete="CASCADE"), nullable=False
    ),
    Column(
        "pacticipant_id",
        Integer,
        ForeignKey("broker_pacticipants.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "environment_id",
        Integer,
        ForeignKey("broker_environments.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("application_instance", String(NAME), nullable=True),
    Column("current", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("uuid"),
    Index(None, "environment_id", "current", "pacticipant_id"),
    Index(None, "version_id"),
)

BROKER_TABLES = (
    broker_pacticipants,
    broker_versions,
    broker_branches,
    broker_branch_versions,
    broker_tags,
    broker_contents,
    broker_publications,
    broker_verifications,
    broker_environments,
    broker_deployments,
)
