"""Interlock's own storage: engines for SQLite and PostgreSQL, the schema, its migrations.

Other packages use only what is named here.
"""

from interlock.store.catalog_loads import CatalogLoad, latest_catalog_load, record_catalog_load
from interlock.store.engine import create_engine_for, display_url, normalize_url
from interlock.store.schema import CHANGE_KINDS, catalog_loads, change_events, metadata
from interlock.store.upgrade import (
    VERSION_TABLE,
    current_revision,
    downgrade_database,
    head_revision,
    upgrade_database,
)

__all__ = [
    "CHANGE_KINDS",
    "VERSION_TABLE",
    "CatalogLoad",
    "catalog_loads",
    "change_events",
    "create_engine_for",
    "current_revision",
    "display_url",
    "downgrade_database",
    "head_revision",
    "latest_catalog_load",
    "metadata",
    "normalize_url",
    "record_catalog_load",
    "upgrade_database",
]
