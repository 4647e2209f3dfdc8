"""The broker's tokens, audit trail, webhooks and webhook runs (migration 0005).

Tokens are stored as SHA-256 digests only; the audit and the runs are read newest first
(indexes on their time and on the webhook).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from interlock.store.columns import belongs_to, moment, serial_id
from interlock.store.schema import metadata

broker_tokens = Table(
    "broker_tokens",
    metadata,
    serial_id(),
    Column("name", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("digest", String(64), nullable=False),
    moment("created_at"),
    moment("revoked_at", nullable=True),
    UniqueConstraint("digest"),
)

broker_audit = Table(
    "broker_audit",
    metadata,
    serial_id(),
    moment("occurred_at"),
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
    serial_id(),
    Column("uuid", String(36), nullable=False),
    Column("description", Text, nullable=True),
    Column("events", JSON, nullable=False),
    Column("request", JSON, nullable=False),
    Column("consumer", String(255), nullable=True),
    Column("provider", String(255), nullable=True),
    Column("enabled", Boolean, nullable=False),
    moment("created_at"),
    UniqueConstraint("uuid"),
)

broker_webhook_runs = Table(
    "broker_webhook_runs",
    metadata,
    serial_id(),
    belongs_to("webhook_id", "broker_webhooks"),
    Column("delivery", String(36), nullable=False),
    Column("event", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("success", Boolean, nullable=False),
    Column("status", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("request", JSON, nullable=False),
    Column("response", Text, nullable=True),
    Column("duration_ms", Float, nullable=False),
    moment("occurred_at"),
    Index(None, "webhook_id", "id"),
    Index(None, "occurred_at"),
)
