"""`interlock telemetry init-store`: create or upgrade the ClickHouse schema, and check it.

The store itself never creates tables: it refuses to open on a missing or older schema and
names this command.
"""

from __future__ import annotations

from dataclasses import dataclass

from interlock.errors import UserInputError
from interlock.telemetry.settings import TelemetrySettings
from interlock.telemetry.stores.clickhouse_connection import (
    ClickHouseConnection,
    ClickHouseError,
    connect,
    parse_location,
    quote,
)
from interlock.telemetry.stores.clickhouse_schema import (
    ARRIVAL,
    SCHEMA_VERSION,
    SchemaOptions,
    arrival_statements,
    schema_statements,
    ttl_statement,
)


@dataclass(frozen=True)
class InitReport:
    """What `init_store` did: the database, the version now there, the statements run."""

    store: str
    database: str
    version: int
    previous_version: int
    statements: int
    upgraded_tables: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "store": self.store,
            "database": self.database,
            "version": self.version,
            "previous_version": self.previous_version,
            "statements": self.statements,
            "upgraded_tables": list(self.upgraded_tables),
        }


def schema_version(conn: ClickHouseConnection) -> int:
    """The Interlock schema version in the connection's database; 0 when there is none."""
    database = quote(conn.location.database)
    found = conn.rows(
        f"SELECT count() FROM system.tables WHERE database = {database} AND name = 'interlock_schema'"
    )
    if not found[0][0]:
        return 0
    rows = conn.rows(f"SELECT max(Version) FROM {conn.location.database}.interlock_schema")
    return int(rows[0][0] or 0)


def check_schema(conn: ClickHouseConnection) -> None:
    """UserInputError naming `init-store` unless the schema is there at this version."""
    version = schema_version(conn)
    if version >= SCHEMA_VERSION:
        return
    what = (
        "no Interlock schema"
        if version == 0
        else f"schema version {version} (this Interlock needs {SCHEMA_VERSION})"
    )
    raise UserInputError(
        f"{conn.location.display}: {what} in database {conn.location.database}; run "
        f"`interlock telemetry init-store --span-store {conn.location.display}` first"
    )


def init_store(url: str, settings: TelemetrySettings | None = None) -> InitReport:
    """Create what is missing and upgrade what is older; safe to run again at any time."""
    settings = settings or TelemetrySettings()
    location = parse_location(url)
    options = SchemaOptions.of(location.database, settings)
    if options.distributed and not options.cluster:
        raise UserInputError(
            "clickhouse_distributed needs a cluster: set INTERLOCK_TELEMETRY_CLICKHOUSE_CLUSTER"
        )
    conn = connect(location)
    try:
        previous = schema_version(conn) if _database_exists(conn) else 0
        missing = _tables_without_arrival(conn, options)
        statements = schema_statements(options)
        for table in missing:
            statements += arrival_statements(options, table)
        for table in ("otel_traces", "otel_logs"):
            statements.append(ttl_statement(options, table))
        if previous < SCHEMA_VERSION:
            statements.append(
                f"INSERT INTO {location.database}.interlock_schema (Version) VALUES ({SCHEMA_VERSION})"
            )
        for statement in statements:
            try:
                conn.command(statement)
            except ClickHouseError as error:
                if "REMOVE TTL" in statement and "TTL" in str(error):
                    continue  # no TTL there to remove
                raise
    finally:
        conn.close()
    return InitReport(
        location.display,
        location.database,
        max(previous, SCHEMA_VERSION),
        previous,
        len(statements),
        missing,
    )


def _database_exists(conn: ClickHouseConnection) -> bool:
    database = quote(conn.location.database)
    return bool(conn.rows(f"SELECT count() FROM system.databases WHERE name = {database}")[0][0])


def _tables_without_arrival(conn: ClickHouseConnection, options: SchemaOptions) -> tuple[str, ...]:
    """Span and log tables that exist (made by the exporter, say) but have no arrival column."""
    database = quote(options.database)
    rows = conn.rows(
        "SELECT table, countIf(name = " + quote(ARRIVAL) + ") FROM system.columns "
        f"WHERE database = {database} GROUP BY table"
    )
    suffix = "_local" if options.distributed else ""
    present = {table: has for table, has in rows}
    return tuple(
        table for table in ("otel_traces", "otel_logs") if present.get(table + suffix) == 0
    )
