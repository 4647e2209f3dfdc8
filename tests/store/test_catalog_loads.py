"""`record_catalog_load` and `latest_catalog_load` on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from interlock.store import (
    create_engine_for,
    latest_catalog_load,
    record_catalog_load,
    upgrade_database,
)


def _check_round_trip(url: str) -> None:
    upgrade_database(url)
    engine = create_engine_for(url)
    try:
        assert None is latest_catalog_load(engine)
        paris = timezone(timedelta(hours=1))
        first = record_catalog_load(
            engine,
            source_dir="/srv/catalog",
            node_count=12,
            edge_count=20,
            finding_count=1,
            digest="a" * 64,
            loaded_at=datetime(2026, 11, 26, 13, 0, tzinfo=paris),
        )
        second = record_catalog_load(
            engine, source_dir="/srv/other", node_count=3, edge_count=2, finding_count=0, digest="b"
        )
        assert second == latest_catalog_load(engine)
        assert first == latest_catalog_load(engine, "/srv/catalog")
        assert datetime(2026, 11, 26, 12, 0, tzinfo=UTC) == first.loaded_at
        assert UTC == first.loaded_at.tzinfo
    finally:
        engine.dispose()


def test_records_and_reads_back_loads_on_sqlite(sqlite_url: str) -> None:
    """Times come back in UTC even though SQLite stores no zone."""
    _check_round_trip(sqlite_url)


@pytest.mark.postgres
def test_records_and_reads_back_loads_on_postgres(postgres: Any) -> None:
    _check_round_trip(postgres.create_database("interlock_loads"))
