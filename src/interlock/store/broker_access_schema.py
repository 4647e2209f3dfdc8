"""The broker's tokens, audit trail, webhooks and webhook runs (migration 0005).

Tokens are stored as SHA-256 digests only; the audit and the runs are read newest first
(indexes on their time and on the webhook).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from interlock.store.schema import metadata

broker_tokens = Table(
    "broker_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("digest"),
)

broker_audit = Table(
    "broker_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(255), nullable=False),
    Column("role", String(16), nullable=True),
    Column("client", String(255), nullable=True),
    Column("method", String(8), nullable=False),
    Column("path", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Index(None, "occurred_at"),
)

broker_webhooks = Table(
    "broker_webhooks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uuid", String(36), nullable=False),
    Column("description", Text, nullable=True),
    Column("events", JSON, nullable=False),
    Column("request", JSON, nullable=False),
    Column("consumer", String(255), nullable=True),
    Column("provider", String(255), nullable=True),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("uuid"),
)

broker_webhook_runs = Table(
    "broker_webhook_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "webhook_id",
        Integer,
        ForeignKey("broker_webhooks.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("delivery", String(36), nullable=False),
    Column("event", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("success", Boolean, nullable=False),
    Column("status", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("request", JSON, nullable=False),
    Column("response", Text, nullable=True),
    Column("duration_ms", Float, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Index(None, "webhook_id", "id"),
    Index(None, "occurred_at"),
)
