"""Which services a pending migration breaks, from three sources of truth.

The catalog's declared reads and writes, the consumers' database contracts, and the
queries seen on their spans; each use shows the service, the query and the column
reference resolved against the schema as it stands before the migration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pglast.parser import ParseError

from interlock.catalog import CatalogGraph, EdgeKind, NodeKind, load_catalog, node_id
from interlock.contracts import ContractQuery, load_contract_queries
from interlock.migrations.breaking import (
    WRITERS_ONLY,
    BreakingChange,
    ChangeKind,
    breaking_changes,
    expand_contract,
)
from interlock.migrations.column_refs import ColumnUse, column_uses
from interlock.migrations.history import split_pending
from interlock.migrations.layouts import read_migrations
from interlock.migrations.model import Migration
from interlock.migrations.schema import SchemaModel


@dataclass(frozen=True)
class ObservedQuery:
    """A query a service was seen running (from `db.statement` / `db.query.text`)."""

    service: str
    sql: str
    count: int = 1


@dataclass(frozen=True)
class ServiceUse:
    service: str
    source: str  # "catalog", "contract" or "traces"
    reference: str  # e.g. "products.price (qualified)"
    query: str | None = None
    where: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "source": self.source,
            "reference": self.reference,
            "query": self.query,
            "where": self.where,
        }


@dataclass
class ChangeImpact:
    change: BreakingChange
    uses: list[ServiceUse] = field(default_factory=list)

    @property
    def services(self) -> list[str]:
        return sorted({u.service for u in self.uses})

    @property
    def advice(self) -> list[str]:
        return expand_contract(self.change, self.services)

    def to_json(self) -> dict[str, Any]:
        c = self.change
        return {
            "change": c.kind.value,
            "table": c.table,
            "column": c.column,
            "new_name": c.new_name,
            "migration": c.migration,
            "file": c.file,
            "line": c.line,
            "services": self.services,
            "uses": [u.to_json() for u in self.uses],
            "expand_contract": self.advice if self.uses else [],
        }


@dataclass
class MigrationImpact:
    database: str | None
    owner: str | None
    pending: list[str]
    changes: list[ChangeImpact]

    @property
    def breaks_consumers(self) -> bool:
        return any(change.uses for change in self.changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "owner": self.owner,
            "pending": self.pending,
            "breaks_consumers": self.breaks_consumers,
            "changes": [c.to_json() for c in self.changes],
        }


def schema_before(migrations: Sequence[Migration]) -> dict[str, list[str]]:
    """Table -> columns after replaying `migrations` in memory."""
    model = SchemaModel()
    for migration in migrations:
        for statement in migration.up.statements:
            model.apply(statement.node, migration.version)
    return {name: list(table.columns) for name, table in model.tables.items()}


def migration_impact(
    applied: Sequence[Migration],
    pending: Sequence[Migration],
    *,
    database: str | None = None,
    graph: CatalogGraph | None = None,
    contracts: Sequence[ContractQuery] = (),
    observed: Sequence[ObservedQuery] = (),
) -> MigrationImpact:
    """The breaking changes of `pending` (after `applied`) and every service use each one hits."""
    schema = schema_before(applied)
    owner = _owner(graph, database)
    changes = [ChangeImpact(change) for change in breaking_changes(pending, applied)]
    query_uses = [
        *(
            (q.consumer, "contract", q.sql, q.source)
            for q in contracts
            if database is None or q.database == database
        ),
        *((q.service, "traces", q.sql, f"seen {q.count}x") for q in observed),
    ]
    resolved = [
        (service, source, sql, where, _uses(sql, schema))
        for service, source, sql, where in query_uses
    ]
    for impact in changes:
        change = impact.change
        if graph is not None and database is not None:
            impact.uses.extend(_catalog_uses(graph, database, change))
        for service, source, sql, where, uses in resolved:
            hits = [u for u in uses if _hits(change, u)]
            if change.kind == ChangeKind.SET_NOT_NULL:
                inserts = [u for u in uses if u.table == change.table and u.how == "insert"]
                hits = (
                    inserts
                    if inserts and not any(u.column == change.column for u in inserts)
                    else []
                )
            if hits:
                reference = ", ".join(sorted({str(h) for h in hits}))
                impact.uses.append(ServiceUse(service, source, reference, sql, where))
        impact.uses = [u for u in impact.uses if u.service != owner]
    return MigrationImpact(database, owner, [m.version for m in pending], changes)


def _uses(sql: str, schema: dict[str, list[str]]) -> list[ColumnUse]:
    try:
        return column_uses(sql, schema)
    except ParseError:
        return []  # observed queries may be truncated or not PostgreSQL; contracts are checked on load


def _hits(change: BreakingChange, use: ColumnUse) -> bool:
    if use.table != change.table:
        return False
    if change.kind in WRITERS_ONLY:
        return change.kind == ChangeKind.REQUIRED_COLUMN and use.how == "insert"
    return change.column is None or use.column == change.column


def _owner(graph: CatalogGraph | None, database: str | None) -> str | None:
    if graph is None or database is None or node_id(NodeKind.DATABASE, database) not in graph:
        return None
    owners = graph.in_edges(node_id(NodeKind.DATABASE, database), EdgeKind.OWNS)
    return graph.node(owners[0].source).name if owners else None


def _catalog_uses(graph: CatalogGraph, database: str, change: BreakingChange) -> list[ServiceUse]:
    table = node_id(NodeKind.TABLE, f"{database}.{change.table}")
    if table not in graph:
        return []
    kinds = (EdgeKind.WRITES,) if change.kind in WRITERS_ONLY else (EdgeKind.READS, EdgeKind.WRITES)
    uses = []
    for edge in graph.in_edges(table, *kinds):
        if change.column is not None and edge.columns and change.column not in edge.columns:
            continue
        columns = ", ".join(edge.columns) if edge.columns else "*"
        service = graph.node(edge.source).name
        reference = f"declared {edge.kind.value} {change.table} ({columns})"
        uses.append(
            ServiceUse(
                service,
                "catalog",
                reference,
                None,
                str(edge.declared_at) if edge.declared_at else None,
            )
        )
    return uses


def infer_database(graph: CatalogGraph, path: Path) -> str | None:
    """The database owned by the service whose descriptor sits above `path`, if just one."""
    target = path.resolve()
    best: tuple[int, str] | None = None
    for service in graph.nodes(NodeKind.SERVICE):
        if service.source is None:
            continue
        folder = Path(service.source.file).resolve().parent
        owned = graph.out_edges(service.id, EdgeKind.OWNS)
        if len(owned) == 1 and target.is_relative_to(folder):
            depth = len(folder.parts)
            if best is None or depth > best[0]:
                best = (depth, graph.node(owned[0].target).name)
    return best[1] if best else None


def observed_queries(data_dir: Path, database: str | None = None) -> list[ObservedQuery]:
    """The SQL each service was seen running, from the span store in `data_dir`."""
    from interlock.telemetry import SQLiteSpanStore, TelemetrySettings, query_fingerprints

    settings = TelemetrySettings(data_dir=data_dir)
    if not settings.spans_path.exists():
        return []
    store = SQLiteSpanStore(settings.spans_path, settings)
    try:
        return [
            ObservedQuery(f.service, f.normalized, f.count)
            for f in query_fingerprints(store)
            if database is None or not f.database or f.database == database
        ]
    finally:
        store.close()


def impact_of_directory(
    path: Path,
    *,
    catalog_dir: Path,
    database: str | None = None,
    contract_paths: Sequence[Path] = (),
    from_version: str | None = None,
    database_url: str | None = None,
    data_dir: Path | None = None,
) -> MigrationImpact:
    """`migrate impact` in one call: read the migrations and every source of uses, then check.

    The database defaults to the one owned by the service whose descriptor sits above `path`;
    the pending migrations come from `from_version`, the database's history, or are the last one.
    """
    applied, pending = split_pending(read_migrations(path), from_version, database_url)
    graph = load_catalog(catalog_dir).graph
    database = database or infer_database(graph, path)
    contracts = load_contract_queries(contract_paths)
    observed = observed_queries(data_dir, database) if data_dir else []
    return migration_impact(
        applied, pending, database=database, graph=graph, contracts=contracts, observed=observed
    )
