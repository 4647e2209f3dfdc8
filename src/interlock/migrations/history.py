"""Which migrations a database has applied, in the migration tool's own history table:
read for impact and dry run, written when Interlock itself applies a directory (`env up`)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from typing import Any

import psycopg

from interlock.errors import UserInputError
from interlock.migrations.database_url import connect
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
    if layout == Layout.diesel:
        if "__diesel_schema_migrations" not in tables:
            return None
        rows = conn.execute("SELECT version FROM __diesel_schema_migrations").fetchall()
        return {str(r[0]) for r in rows}
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
        versions = [_normal(m.version) for m in migrations]
        if wanted == "0" and wanted not in versions:
            return list(migrations)  # `--from 0`: everything, unless a migration is version 0
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
    return [
        m
        for m in migrations
        if m.version not in applied and m.name not in applied and history_version(m) not in applied
    ]


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
        with connect(database_url) as conn:
            conn.read_only = True
            applied = applied_versions(conn, migrations[0].layout)
    pending = pending_migrations(migrations, applied, from_version)
    return [m for m in migrations if m not in pending], pending


def history_version(migration: Migration) -> str:
    """The version as the migration's tool writes it in its history table."""
    if migration.layout == Layout.golang_migrate:
        return str(int(migration.version))
    if migration.layout == Layout.diesel:
        # diesel keeps the folder name's part before the first `_`, without its dashes
        return migration.version.split("_")[0].replace("-", "")
    return migration.version


# The history tables as each tool creates them on PostgreSQL, so that the tool itself (and
# `applied_versions`) reads a database Interlock migrated as one it migrated.
_TABLES = {
    Layout.golang_migrate: (
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)",
    ),
    Layout.dbmate: (
        "CREATE TABLE IF NOT EXISTS schema_migrations (version varchar(128) PRIMARY KEY)",
    ),
    Layout.diesel: (
        "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (version varchar(50) PRIMARY KEY "
        "NOT NULL, run_on timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    ),
    Layout.flyway: (
        """CREATE TABLE IF NOT EXISTS flyway_schema_history (
            installed_rank integer NOT NULL CONSTRAINT flyway_schema_history_pk PRIMARY KEY,
            version varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL,
            script varchar(1000) NOT NULL, checksum integer, installed_by varchar(100) NOT NULL,
            installed_on timestamp NOT NULL DEFAULT now(), execution_time integer NOT NULL,
            success boolean NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS flyway_schema_history_s_idx ON flyway_schema_history (success)",
    ),
}


def create_history_table(conn: psycopg.Connection[Any], layout: Layout) -> bool:
    """Create `layout`'s history table if it is missing; False for a layout that has none
    Interlock writes (plain SQL has no tool; sqitch's registry is sqitch's own to keep)."""
    for statement in _TABLES.get(layout, ()):
        conn.execute(statement)
    return layout in _TABLES


def record_applied(conn: psycopg.Connection[Any], migration: Migration, duration_ms: float) -> None:
    """Write `migration` into its tool's history table (made by `create_history_table`) as the
    tool does after running it; in the caller's transaction, if one is open."""
    version = history_version(migration)
    if migration.layout == Layout.golang_migrate:
        # one row: the current version (golang-migrate truncates and inserts it)
        conn.execute("DELETE FROM schema_migrations")
        conn.execute(
            "INSERT INTO schema_migrations (version, dirty) VALUES (%s, false)", (int(version),)
        )
    elif migration.layout == Layout.dbmate:
        conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
    elif migration.layout == Layout.diesel:
        conn.execute("INSERT INTO __diesel_schema_migrations (version) VALUES (%s)", (version,))
    elif migration.layout == Layout.flyway:
        conn.execute(
            """INSERT INTO flyway_schema_history (installed_rank, version, description, type,
                   script, checksum, installed_by, execution_time, success)
               SELECT coalesce(max(installed_rank), 0) + 1, %s, %s, 'SQL', %s, %s, current_user,
                   %s, true
               FROM flyway_schema_history""",
            (
                version,
                migration.name,
                migration.up_path.name,
                flyway_checksum(migration.up_sql),
                round(duration_ms),
            ),
        )


def flyway_checksum(sql: str) -> int:
    """Flyway's checksum of a script: CRC-32 over its lines' UTF-8 bytes, line ends left out
    (so CRLF and LF agree), a leading BOM dropped, as a signed 32-bit integer."""
    crc = 0
    for line in re.split(r"\r\n|\r|\n", sql.removeprefix("\ufeff")):
        crc = zlib.crc32(line.encode("utf-8"), crc)
    return crc - (1 << 32) if crc >= 1 << 31 else crc


def unrecord_applied(
    conn: psycopg.Connection[Any], migration: Migration, previous: Migration | None
) -> None:
    """Take `migration` out of its tool's history table again (its down migration ran), leaving
    the table as it was before: for golang-migrate, `previous` is the current version again."""
    version = history_version(migration)
    if migration.layout == Layout.golang_migrate:
        conn.execute("DELETE FROM schema_migrations")
        if previous is not None:
            conn.execute(
                "INSERT INTO schema_migrations (version, dirty) VALUES (%s, false)",
                (int(history_version(previous)),),
            )
    elif migration.layout == Layout.dbmate:
        conn.execute("DELETE FROM schema_migrations WHERE version = %s", (version,))
    elif migration.layout == Layout.diesel:
        conn.execute("DELETE FROM __diesel_schema_migrations WHERE version = %s", (version,))
    elif migration.layout == Layout.flyway:
        conn.execute("DELETE FROM flyway_schema_history WHERE version = %s", (version,))
