"""Interlock's own tables, as SQLAlchemy Core metadata.

The migrations under `store/migrations/versions` create exactly this schema; a test
compares the two so that neither drifts.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

CHANGE_KINDS = ("deploy", "migration", "config")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

catalog_loads = Table(
    "catalog_loads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column("source_dir", Text, nullable=False),
    Column("node_count", Integer, nullable=False),
    Column("edge_count", Integer, nullable=False),
    Column("finding_count", Integer, nullable=False),
    Column("digest", String(64), nullable=False),
    Index(None, "loaded_at"),
)

change_events = Table(
    "change_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("service", String(255), nullable=False),
    Column("environment", String(255), nullable=True),
    Column("version", String(255), nullable=True),
    Column("summary", Text, nullable=False, server_default=""),
    Column("attributes", JSON, nullable=False),
    CheckConstraint(
        "kind IN (" + ", ".join(f"'{kind}'" for kind in CHANGE_KINDS) + ")", name="kind"
    ),
    Index(None, "occurred_at"),
    Index(None, "service", "occurred_at"),
)
