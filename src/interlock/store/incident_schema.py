"""The incident tables added after the first ones: the alert outbox (alerts raised by
other packages and processes, correlated by the server) and the notifications sent."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from interlock.store.columns import moment, serial_id
from interlock.store.schema import metadata

# Written by `interlock.incidents.raise_alert` from any process; the server takes each row
# once (`taken_at`) and correlates it as if it had arrived on a webhook.
alert_outbox = Table(
    "alert_outbox",
    metadata,
    serial_id(),
    moment("created_at"),
    Column("payload", JSON, nullable=False),
    moment("taken_at", nullable=True),
    Index(None, "taken_at", "id"),
)

# One row per message an incident's route was sent (or failed to be sent); the unique
# key is the claim that keeps several servers from sending the same event twice.
incident_notifications = Table(
    "incident_notifications",
    metadata,
    serial_id(),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("route", String(255), nullable=False),
    Column("event", String(255), nullable=False),
    moment("sent_at"),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=False),
    UniqueConstraint("incident_id", "route", "event"),
)
