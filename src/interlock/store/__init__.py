"""Interlock's own storage: engines for SQLite and PostgreSQL, the schema, its migrations.

Other packages use only what is named here.
"""

from interlock.store import broker_access_schema as broker_access_schema  # tokens, webhooks
from interlock.store import broker_schema as broker_schema  # registers the broker tables
from interlock.store import incident_schema as incident_schema  # alert outbox, notifications
from interlock.store.catalog_loads import CatalogLoad, latest_catalog_load, record_catalog_load
from interlock.store.engine import create_engine_for, display_url, normalize_url
from interlock.store.perf_schema import perf_operations, perf_runs
from interlock.store.schema import (
    ALERT_STATUSES,
    CHANGE_KINDS,
    INCIDENT_STATES,
    alerts,
    catalog_loads,
    change_events,
    incident_transitions,
    incidents,
    metadata,
)
from interlock.store.upgrade import (
    VERSION_TABLE,
    current_revision,
    downgrade_database,
    head_revision,
    open_database,
    upgrade_database,
)

__all__ = [
    "ALERT_STATUSES",
    "CHANGE_KINDS",
    "INCIDENT_STATES",
    "VERSION_TABLE",
    "CatalogLoad",
    "alerts",
    "catalog_loads",
    "change_events",
    "create_engine_for",
    "current_revision",
    "display_url",
    "downgrade_database",
    "head_revision",
    "incident_transitions",
    "incidents",
    "latest_catalog_load",
    "metadata",
    "normalize_url",
    "open_database",
    "perf_operations",
    "perf_runs",
    "record_catalog_load",
    "upgrade_database",
]
