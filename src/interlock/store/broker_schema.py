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
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from interlock.store.columns import belongs_to, moment, serial_id
from interlock.store.schema import metadata

NAME = 255

broker_pacticipants = Table(
    "broker_pacticipants",
    metadata,
    serial_id(),
    Column("name", String(NAME), nullable=False),
    Column("display_name", String(NAME), nullable=True),
    Column("main_branch", String(NAME), nullable=True),
    Column("repository_url", Text, nullable=True),
    moment("created_at"),
    UniqueConstraint("name"),
)

# A version's `id` is its order: versions are created in the order they were first seen.
broker_versions = Table(
    "broker_versions",
    metadata,
    serial_id(),
    belongs_to("pacticipant_id", "broker_pacticipants"),
    Column("number", String(NAME), nullable=False),
    Column("build_url", Text, nullable=True),
    moment("created_at"),
    UniqueConstraint("pacticipant_id", "number"),
)

broker_branches = Table(
    "broker_branches",
    metadata,
    serial_id(),
    belongs_to("pacticipant_id", "broker_pacticipants"),
    Column("name", String(NAME), nullable=False),
    moment("created_at"),
    UniqueConstraint("pacticipant_id", "name"),
)

broker_branch_versions = Table(
    "broker_branch_versions",
    metadata,
    serial_id(),
    belongs_to("branch_id", "broker_branches"),
    belongs_to("version_id", "broker_versions"),
    moment("created_at"),
    UniqueConstraint("branch_id", "version_id"),
    Index(None, "version_id"),
)

broker_tags = Table(
    "broker_tags",
    metadata,
    serial_id(),
    belongs_to("version_id", "broker_versions"),
    Column("name", String(NAME), nullable=False),
    moment("created_at"),
    UniqueConstraint("version_id", "name"),
    Index(None, "name", "version_id"),
)

# One row per distinct contract content (SHA-256 of its canonical JSON): a pact published
# unchanged by a hundred consumer versions is stored, and verified, once.
broker_contents = Table(
    "broker_contents",
    metadata,
    serial_id(),
    Column("sha", String(64), nullable=False),
    Column("specification", String(32), nullable=False),
    Column("content", Text, nullable=False),
    moment("created_at"),
    UniqueConstraint("sha"),
)

broker_publications = Table(
    "broker_publications",
    metadata,
    serial_id(),
    belongs_to("consumer_version_id", "broker_versions"),
    belongs_to("consumer_id", "broker_pacticipants"),
    belongs_to("provider_id", "broker_pacticipants"),
    Column("content_id", Integer, ForeignKey("broker_contents.id"), nullable=False),
    moment("created_at"),
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
    serial_id(),
    Column("content_id", Integer, ForeignKey("broker_contents.id"), nullable=False),
    belongs_to("provider_version_id", "broker_versions"),
    Column("success", Boolean, nullable=False),
    Column("build_url", Text, nullable=True),
    Column("verified_by", JSON, nullable=True),
    Column("test_results", JSON, nullable=True),
    moment("created_at"),
    Index(None, "content_id", "provider_version_id"),
    Index(None, "provider_version_id"),
)

broker_environments = Table(
    "broker_environments",
    metadata,
    serial_id(),
    Column("uuid", String(36), nullable=False),
    Column("name", String(NAME), nullable=False),
    Column("display_name", String(NAME), nullable=True),
    Column("production", Boolean, nullable=False),
    Column("contacts", JSON, nullable=True),
    moment("created_at"),
    UniqueConstraint("uuid"),
    UniqueConstraint("name"),
)

# A deployment stays a row after it ends (`ended_at`): history for the change events.
# `kind` is "deployed" (a running service) or "released" (a library or app still supported).
broker_deployments = Table(
    "broker_deployments",
    metadata,
    serial_id(),
    Column("uuid", String(36), nullable=False),
    Column("kind", String(16), nullable=False),
    belongs_to("version_id", "broker_versions"),
    belongs_to("pacticipant_id", "broker_pacticipants"),
    belongs_to("environment_id", "broker_environments"),
    Column("application_instance", String(NAME), nullable=True),
    Column("current", Boolean, nullable=False),
    moment("created_at"),
    moment("ended_at", nullable=True),
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
