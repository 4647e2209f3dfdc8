"""The storage package's public surface: what other packages may import from it."""

from __future__ import annotations

import interlock.store


def test_store_exports_exactly_its_public_api() -> None:
    assert [
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
    ] == interlock.store.__all__
    for name in interlock.store.__all__:
        assert hasattr(interlock.store, name), name
