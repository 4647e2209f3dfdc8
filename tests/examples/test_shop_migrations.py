"""The shop's golang-migrate directories: they apply in order, once, and reverse exactly.

Run on SQLite and on the real PostgreSQL, since the services run on both.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import Engine, inspect

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
MIGRATIONS = {
    "inventory": SHOP / "inventory" / "migrations",
    "orders": SHOP / "orders" / "migrations",
}


def _schema(engine: Engine) -> dict[str, Any]:
    """Tables, their columns and indexes: what a migration changes (bookkeeping aside)."""
    found = inspect(engine)
    return {
        table: (
            [(c["name"], str(c["type"]).lower()) for c in found.get_columns(table)],
            sorted(i["name"] or "" for i in found.get_indexes(table)),
        )
        for table in sorted(found.get_table_names())
        if table != "schema_migrations"
    }


def _up_then_down_step_by_step(shoplib: ModuleType, engine: Engine, directory: Path) -> None:
    database = shoplib.database
    snapshots = [_schema(engine)]
    versions = [m.version for m in database.read_migrations(directory)]
    for version in versions:
        assert [version] == shoplib.migrate_up(engine, directory, steps=1)
        snapshots.append(_schema(engine))
    assert [] == shoplib.migrate_up(engine, directory), "a second run applies nothing"
    with engine.connect() as conn:
        assert [(versions[-1], False)] == [
            (row.version, bool(row.dirty))
            for row in conn.execute(sqlalchemy.text("SELECT version, dirty FROM schema_migrations"))
        ]
    for version in reversed(versions):
        snapshots.pop()
        assert [version] == shoplib.migrate_down(engine, directory, steps=1)
        assert snapshots[-1] == _schema(engine), f"down {version} does not reverse its up"
    assert {} == _schema(engine)
    assert {"schema_migrations"} == set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert 0 == conn.execute(sqlalchemy.text("SELECT count(*) FROM schema_migrations")).scalar()


@pytest.mark.parametrize("service", sorted(MIGRATIONS))
def test_migrations_reverse_exactly_on_sqlite(
    shoplib: ModuleType, tmp_path: Path, service: str
) -> None:
    engine = shoplib.database.engine_for(f"sqlite:///{tmp_path / 'shop.db'}")
    try:
        _up_then_down_step_by_step(shoplib, engine, MIGRATIONS[service])
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("service", sorted(MIGRATIONS))
def test_migrations_reverse_exactly_on_postgresql(
    shoplib: ModuleType, postgres: Any, service: str
) -> None:
    engine = shoplib.database.engine_for(postgres.create_database(f"shop_{service}"))
    try:
        _up_then_down_step_by_step(shoplib, engine, MIGRATIONS[service])
    finally:
        engine.dispose()


def test_a_dirty_schema_is_refused(shoplib: ModuleType, tmp_path: Path) -> None:
    """golang-migrate marks a failed step dirty; the services then refuse to start."""
    engine = shoplib.database.engine_for(f"sqlite:///{tmp_path / 'shop.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(shoplib.database.SCHEMA_TABLE))
            conn.execute(sqlalchemy.text("INSERT INTO schema_migrations VALUES (1, TRUE)"))
        with pytest.raises(shoplib.MigrationError, match="version 1 is dirty"):
            shoplib.migrate_up(engine, MIGRATIONS["orders"])
    finally:
        engine.dispose()
