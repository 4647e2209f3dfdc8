"""Database access for the shop services: SQLite or PostgreSQL by URL, queries traced.

Migrations follow golang-migrate: `NNNNNN_name.up.sql`/`.down.sql` pairs, and a
`schema_migrations(version, dirty)` table holding the one current version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import Connection, Engine, create_engine, text

MIGRATION_FILE = re.compile(r"^(\d+)_(\w+)\.(up|down)\.sql$")
SCHEMA_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version bigint NOT NULL PRIMARY KEY,
    dirty boolean NOT NULL
)
"""


class MigrationError(Exception):
    """A migration directory or the recorded schema state cannot be used."""


def engine_for(url: str) -> Engine:
    """An engine for `sqlite:///path` or `postgresql://...` (driven by psycopg 3)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    elif url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    elif not url.startswith("postgresql+psycopg://"):
        raise SystemExit(f"unsupported database URL {url!r}: expected sqlite:/// or postgresql://")
    return create_engine(url)


class Database:
    """One service's view of one database; every statement runs in a CLIENT span."""

    def __init__(self, url: str, namespace: str, tracer: trace.Tracer) -> None:
        self.engine = engine_for(url)
        self.namespace = namespace
        self.tracer = tracer
        self.system = "sqlite" if self.engine.dialect.name == "sqlite" else "postgresql"

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows of a SELECT as dictionaries."""
        with self.engine.connect() as conn:
            result = self._run(conn, sql, params)
            return [dict(row._mapping) for row in result]

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run one changing statement in its own transaction; returns the rows it touched."""
        with self.engine.begin() as conn:
            return int(self._run(conn, sql, params).rowcount)

    def _run(self, conn: Connection, sql: str, params: Mapping[str, Any] | None) -> Any:
        operation = sql.split(None, 1)[0].upper()
        with self.tracer.start_as_current_span(
            f"{operation} {self.namespace}",
            kind=SpanKind.CLIENT,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            span.set_attributes(
                {
                    "db.system.name": self.system,
                    "db.system": self.system,
                    "db.namespace": self.namespace,
                    "db.name": self.namespace,
                    "db.operation.name": operation,
                    "db.query.text": sql,
                    "db.statement": sql,
                }
            )
            try:
                return conn.execute(text(sql), dict(params or {}))
            except Exception as error:
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                raise

    def dispose(self) -> None:
        self.engine.dispose()


@dataclass(frozen=True)
class Migration:
    """One numbered step with the SQL that applies it and the SQL that reverses it."""

    version: int
    name: str
    up: Path
    down: Path


def read_migrations(directory: Path) -> list[Migration]:
    """The up/down pairs in `directory`, ordered by version; a missing half is an error."""
    halves: dict[int, dict[str, Path]] = {}
    names: dict[int, str] = {}
    for path in sorted(directory.iterdir()):
        match = MIGRATION_FILE.match(path.name)
        if match is None:
            continue
        version = int(match.group(1))
        halves.setdefault(version, {})[match.group(3)] = path
        names[version] = match.group(2)
    steps = []
    for version in sorted(halves):
        pair = halves[version]
        if set(pair) != {"up", "down"}:
            raise MigrationError(
                f"{directory}: migration {version} needs both .up.sql and .down.sql"
            )
        steps.append(Migration(version, names[version], pair["up"], pair["down"]))
    return steps


def statements(path: Path) -> list[str]:
    """The statements of a migration file: comment lines dropped, split at semicolons."""
    lines = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def current_version(conn: Connection) -> int | None:
    """The applied version recorded in `schema_migrations`; refuses a dirty one."""
    conn.execute(text(SCHEMA_TABLE))
    row = conn.execute(text("SELECT version, dirty FROM schema_migrations")).first()
    if row is None:
        return None
    if row.dirty:
        raise MigrationError(f"schema_migrations: version {row.version} is dirty; fix it by hand")
    return int(row.version)


def _record(conn: Connection, version: int | None) -> None:
    conn.execute(text("DELETE FROM schema_migrations"))
    if version is not None:
        conn.execute(
            text("INSERT INTO schema_migrations (version, dirty) VALUES (:v, :d)"),
            {"v": version, "d": False},
        )


def migrate_up(engine: Engine, directory: Path, steps: int | None = None) -> list[int]:
    """Apply the migrations newer than the recorded version (at most `steps` of them).

    Returns the versions applied; running it again applies nothing.
    """
    applied: list[int] = []
    for step in read_migrations(directory):
        if steps is not None and len(applied) >= steps:
            break
        with engine.begin() as conn:
            current = current_version(conn)
            if current is not None and step.version <= current:
                continue
            for statement in statements(step.up):
                conn.execute(text(statement))
            _record(conn, step.version)
        applied.append(step.version)
    return applied


def migrate_down(engine: Engine, directory: Path, steps: int | None = None) -> list[int]:
    """Reverse the applied migrations newest first (at most `steps` of them).

    Returns the versions reverted; with no `steps`, the schema is back to empty.
    """
    migrations = read_migrations(directory)
    reverted: list[int] = []
    for index in reversed(range(len(migrations))):
        if steps is not None and len(reverted) >= steps:
            break
        step = migrations[index]
        with engine.begin() as conn:
            current = current_version(conn)
            if current is None or step.version > current:
                continue
            for statement in statements(step.down):
                conn.execute(text(statement))
            _record(conn, migrations[index - 1].version if index else None)
        reverted.append(step.version)
    return reverted
