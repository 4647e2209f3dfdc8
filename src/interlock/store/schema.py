"""Interlock's own tables, as SQLAlchemy Core metadata.

The migrations under `store/migrations/versions` create exactly this schema; a test
compares the two so that neither drifts.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from interlock.store.columns import moment, serial_id

CHANGE_KINDS = ("deploy", "migration", "config", "flag")

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
    serial_id(),
    moment("loaded_at"),
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
    serial_id(),
    moment("occurred_at"),
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

INCIDENT_STATES = ("pending", "open", "acknowledged", "resolved", "suppressed")
ALERT_STATUSES = ("firing", "resolved")

# An incident is `pending` until the flapping guard lets it open, `suppressed` when it
# resolved before that; correlation reads only the unresolved ones by (state, last_alert_at).
incidents = Table(
    "incidents",
    metadata,
    serial_id(),
    Column("state", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("severity", String(32), nullable=False),
    moment("started_at"),
    moment("last_alert_at"),
    moment("opened_at", nullable=True),
    moment("resolved_at", nullable=True),
    Column("origin", String(255), nullable=True),
    Column("services", JSON, nullable=False),
    # service -> its latest alert's start (`services` keeps the first); null before 0006
    Column("services_last", JSON, nullable=True),
    Column("trace_ids", JSON, nullable=False),
    Column("alert_count", Integer, nullable=False),
    Column("firing_count", Integer, nullable=False),
    CheckConstraint(
        "state IN (" + ", ".join(f"'{state}'" for state in INCIDENT_STATES) + ")", name="state"
    ),
    Index(None, "state", "last_alert_at"),
    Index(None, "started_at"),
)

alerts = Table(
    "alerts",
    metadata,
    serial_id(),
    Column("fingerprint", String(128), nullable=False),
    Column("source", String(32), nullable=False),
    Column("name", String(255), nullable=False),
    Column("service", String(255), nullable=True),
    Column("service_label", String(255), nullable=True),
    Column("unmapped", String(255), nullable=True),
    Column("severity", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    moment("starts_at"),
    moment("ends_at", nullable=True),
    moment("received_at"),
    Column("summary", Text, nullable=False),
    Column("labels", JSON, nullable=False),
    Column("annotations", JSON, nullable=False),
    Column("generator_url", Text, nullable=True),
    Column("group_key", Text, nullable=True),
    Column("trace_ids", JSON, nullable=False),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=True),
    Column("join_reason", Text, nullable=False),
    CheckConstraint(
        "status IN (" + ", ".join(f"'{status}'" for status in ALERT_STATUSES) + ")",
        name="status",
    ),
    Index(None, "fingerprint", "id"),
    Index(None, "incident_id"),
)

incident_transitions = Table(
    "incident_transitions",
    metadata,
    serial_id(),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    moment("at"),
    Column("from_state", String(16), nullable=True),
    Column("to_state", String(16), nullable=False),
    Column("actor", String(255), nullable=False),
    Column("note", Text, nullable=False),
    Index(None, "incident_id"),
)
