"""Which migrations a database has applied, from the migration tool's own history table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from interlock.errors import UserInputError
from interlock.migrations.model import Layout, Migration


def applied_versions(conn: psycopg.Connection[Any], layout: Layout) -> set[str] | None:
    """The versions applied, or None when the database has no history table for `layout`."""
    tables = {
        row[0]
        for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
    }
    if layout == Layout.flyway and "flyway_schema_history" in tables:
        rows = conn.execute(
            "SELECT version FROM flyway_schema_history WHERE success AND version IS NOT NULL"
        ).fetchall()
        return {str(r[0]) for r in rows}
    if layout == Layout.sqitch:
        exists = conn.execute("SELECT to_regclass('sqitch.changes')").fetchone()
        if exists is None or exists[0] is None:
            return None
        return {str(r[0]) for r in conn.execute("SELECT change FROM sqitch.changes").fetchall()}
    if "schema_migrations" not in tables:
        return None
    if layout == Layout.golang_migrate:
        # golang-migrate keeps one row: the current version, and whether it is dirty.
        row = conn.execute("SELECT version, dirty FROM schema_migrations LIMIT 1").fetchone()
        if row is None:
            return set()
        if row[1]:
            raise UserInputError(
                f"schema_migrations says version {row[0]} is dirty: fix the database first"
            )
        return {f"<= {row[0]}"}
    return {str(r[0]) for r in conn.execute("SELECT version FROM schema_migrations").fetchall()}


def pending_migrations(
    migrations: Sequence[Migration], applied: set[str] | None, from_version: str | None = None
) -> list[Migration]:
    """The migrations still to apply: after `from_version`, or those the history lacks."""
    if from_version is not None:
        wanted = _normal(from_version)
        if wanted == "0":
            return list(migrations)
        versions = [_normal(m.version) for m in migrations]
        if wanted not in versions:
            known = ", ".join(m.version for m in migrations)
            raise UserInputError(
                f"--from {from_version}: no migration has that version (known: {known})"
            )
        return list(migrations[versions.index(wanted) + 1 :])
    if applied is None:
        return list(migrations)
    current = next((v for v in applied if v.startswith("<= ")), None)
    if current is not None:
        ceiling = int(current[3:])
        return [m for m in migrations if int(m.version) > ceiling]
    return [m for m in migrations if m.version not in applied and m.name not in applied]


def _normal(version: str) -> str:
    """`000002` and `2` are the same version."""
    if version.isdigit():
        return version.lstrip("0") or "0"
    return version


def split_pending(
    migrations: Sequence[Migration],
    from_version: str | None = None,
    database_url: str | None = None,
) -> tuple[list[Migration], list[Migration]]:
    """(applied, pending): from `--from`, else the database's history, else the last one pending."""
    if from_version is None and database_url is None:
        return list(migrations[:-1]), list(migrations[-1:])
    applied: set[str] | None = None
    if from_version is None and database_url is not None and migrations:
        with psycopg.connect(database_url) as conn:
            conn.read_only = True
            applied = applied_versions(conn, migrations[0].layout)
    pending = pending_migrations(migrations, applied, from_version)
    return [m for m in migrations if m not in pending], pending
