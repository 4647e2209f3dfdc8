"""Engines: SQLite tuned for a server (WAL, foreign keys, busy timeout, real transactions)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError

from interlock.store import (
    change_events,
    create_engine_for,
    current_revision,
    display_url,
    head_revision,
    open_database,
    upgrade_database,
)


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_busy_timeout(sqlite_url: str) -> None:
    engine = create_engine_for(sqlite_url)
    with engine.connect() as connection:
        assert "wal" == connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        assert 1 == connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
        assert 5000 == connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    engine.dispose()


def test_sqlite_rolls_back_ddl_with_the_transaction(sqlite_url: str) -> None:
    """A failed migration leaves no half-made table behind on SQLite either."""
    engine = create_engine_for(sqlite_url)
    with pytest.raises(RuntimeError), engine.begin() as connection:
        connection.execute(text("CREATE TABLE half_made (id INTEGER)"))
        raise RuntimeError("the migration failed here")
    with engine.connect() as connection:
        names = connection.exec_driver_sql("SELECT name FROM sqlite_master").scalars().all()
    assert "half_made" not in names
    engine.dispose()


def test_change_events_accept_only_known_kinds(sqlite_url: str) -> None:
    upgrade_database(sqlite_url)
    engine = create_engine_for(sqlite_url)
    row = {
        "occurred_at": datetime.now(UTC),
        "service": "orders",
        "environment": "production",
        "version": "1.4.2",
        "summary": "deployed orders 1.4.2",
        "attributes": {"commit": "abc123"},
    }
    with engine.begin() as connection:
        connection.execute(insert(change_events).values(kind="deploy", **row))
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert(change_events).values(kind="reboot", **row))
    engine.dispose()


def test_display_url_hides_the_password() -> None:
    shown = display_url("postgresql://interlock:s3cret@db.internal:5432/interlock")
    assert "postgresql://interlock:***@db.internal:5432/interlock" == shown


def test_open_database_brings_the_schema_to_head_first(sqlite_url: str) -> None:
    """A command opening Interlock's database finds every table of the latest schema."""
    with open_database(sqlite_url) as engine, engine.connect() as connection:
        names = connection.exec_driver_sql("SELECT name FROM sqlite_master").scalars().all()
    assert head_revision() == current_revision(sqlite_url)
    assert "change_events" in names
