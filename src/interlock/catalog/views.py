"""What the dashboard and the JSON API show of the catalog, computed once from the graph.

A page and its JSON twin call the same function here, so they can never disagree.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from interlock.catalog.graph import CatalogGraph
from interlock.catalog.loader import Catalog
from interlock.catalog.model import Edge, EdgeKind, Node, NodeKind, node_id
from interlock.errors import UserInputError


class UnknownService(UserInputError):
    """No service has this name; `suggestions` holds the closest names."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        self.name = name
        self.suggestions = suggestions
        hint = f" (did you mean {', '.join(repr(s) for s in suggestions)}?)" if suggestions else ""
        super().__init__(f"no service named {name!r} in the catalog{hint}")


@dataclass(frozen=True)
class ApiLink:
    """An API a service provides or consumes, and where its definition lives."""

    name: str
    type: str | None
    definition_path: str | None
    definition_url: str | None
    other_services: list[str]


@dataclass(frozen=True)
class ServiceLink:
    """A service on the other end of a `calls` edge; `via` names the API it goes through."""

    name: str
    via: str | None


@dataclass(frozen=True)
class TableColumns:
    name: str
    columns: list[str]
    read_by: list[str]
    written_by: list[str]


@dataclass(frozen=True)
class OwnedDatabase:
    """A database the service owns, with its tables and who else touches each."""

    name: str
    tables: list[TableColumns]


@dataclass(frozen=True)
class TableAccess:
    """A table in someone else's database that the service reads or writes."""

    table: str
    database: str
    owner: str | None
    access: str
    columns: list[str]


@dataclass(frozen=True)
class ServiceView:
    """Everything the service page shows, and `/api/services/{name}` returns."""

    name: str
    owner: str | None
    lifecycle: str | None
    system: str | None
    type: str | None
    description: str | None
    source: str | None
    telemetry_name: str
    pact_name: str
    provides: list[ApiLink] = field(default_factory=list)
    consumes: list[ApiLink] = field(default_factory=list)
    calls: list[ServiceLink] = field(default_factory=list)
    called_by: list[ServiceLink] = field(default_factory=list)
    databases: list[OwnedDatabase] = field(default_factory=list)
    uses_databases: list[str] = field(default_factory=list)
    table_access: list[TableAccess] = field(default_factory=list)


@dataclass(frozen=True)
class ServiceSummary:
    """One row of the services table."""

    name: str
    owner: str | None
    lifecycle: str | None
    system: str | None
    calls: int
    called_by: int
    databases: list[str]


@dataclass(frozen=True)
class CatalogSummary:
    """How big a loaded catalog is, and a digest of its files (changes when any file does)."""

    source_dir: str
    files: list[str]
    node_count: int
    edge_count: int
    finding_count: int
    digest: str


def service_view(graph: CatalogGraph, name: str) -> ServiceView:
    """The service page's content for `name`; raises `UnknownService` with suggestions."""
    node = graph.get(NodeKind.SERVICE, name)
    if node is None:
        names = [n.name for n in graph.nodes(NodeKind.SERVICE)]
        raise UnknownService(name, difflib.get_close_matches(name, names, n=3))
    key = node.id
    return ServiceView(
        name=node.name,
        owner=_owner(graph, key),
        lifecycle=_text(node, "lifecycle"),
        system=_text(node, "system"),
        type=_text(node, "type"),
        description=_text(node, "description"),
        source=str(node.source) if node.source else None,
        telemetry_name=_text(node, "telemetry_name") or node.name,
        pact_name=_text(node, "pact_name") or node.name,
        provides=[_api(graph, e.target, EdgeKind.CONSUMES) for e in _out(graph, key, "provides")],
        consumes=[_api(graph, e.target, EdgeKind.PROVIDES) for e in _out(graph, key, "consumes")],
        calls=_links(graph, graph.out_edges(key, EdgeKind.CALLS), lambda e: e.target),
        called_by=_links(graph, graph.in_edges(key, EdgeKind.CALLS), lambda e: e.source),
        databases=[_owned_database(graph, e.target) for e in _out(graph, key, "owns")],
        uses_databases=sorted(graph.node(e.target).name for e in _out(graph, key, "uses")),
        table_access=_table_access(graph, key),
    )


def service_index(graph: CatalogGraph) -> list[ServiceSummary]:
    """Every service with its owner and how connected it is, sorted by name."""
    rows = []
    for node in graph.nodes(NodeKind.SERVICE):
        rows.append(
            ServiceSummary(
                name=node.name,
                owner=_owner(graph, node.id),
                lifecycle=_text(node, "lifecycle"),
                system=_text(node, "system"),
                calls=len(graph.out_edges(node.id, EdgeKind.CALLS)),
                called_by=len(graph.in_edges(node.id, EdgeKind.CALLS)),
                databases=sorted(
                    graph.node(e.target).name for e in graph.out_edges(node.id, EdgeKind.OWNS)
                ),
            )
        )
    return rows


def catalog_summary(catalog: Catalog) -> CatalogSummary:
    """Counts and a SHA-256 over every descriptor file (path relative to the root, bytes)."""
    digest = hashlib.sha256()
    root = catalog.root.resolve()
    for file in sorted(catalog.files):
        path = Path(file).resolve()
        digest.update(str(path.relative_to(root) if path.is_relative_to(root) else path).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"")
        digest.update(b"\0")
    return CatalogSummary(
        source_dir=str(root),
        files=[str(Path(f)) for f in catalog.files],
        node_count=len(catalog.graph),
        edge_count=len(catalog.graph.edges()),
        finding_count=len(catalog.findings),
        digest=digest.hexdigest(),
    )


def _text(node: Node, key: str) -> str | None:
    value = node.attrs.get(key)
    return None if value is None else str(value)


def _out(graph: CatalogGraph, key: str, kind: str) -> list[Edge]:
    return sorted(graph.out_edges(key, EdgeKind(kind)), key=lambda e: e.target)


def _owner(graph: CatalogGraph, key: str) -> str | None:
    teams = graph.out_edges(key, EdgeKind.OWNED_BY)
    return graph.node(teams[0].target).name if teams else None


def _api(graph: CatalogGraph, api_key: str, other_side: EdgeKind) -> ApiLink:
    api = graph.node(api_key)
    return ApiLink(
        name=api.name,
        type=_text(api, "type"),
        definition_path=_text(api, "definition_path"),
        definition_url=_text(api, "definition_url"),
        other_services=sorted(
            graph.node(e.source).name for e in graph.in_edges(api_key, other_side)
        ),
    )


def _links(graph: CatalogGraph, edges: list[Edge], end: Callable[[Edge], str]) -> list[ServiceLink]:
    return sorted(
        (ServiceLink(graph.node(end(e)).name, e.via) for e in edges), key=lambda s: s.name
    )


def _owned_database(graph: CatalogGraph, db_key: str) -> OwnedDatabase:
    tables = []
    for edge in sorted(graph.out_edges(db_key, EdgeKind.CONTAINS), key=lambda e: e.target):
        table = graph.node(edge.target)
        users = {
            kind: sorted(graph.node(e.source).name for e in graph.in_edges(table.id, kind))
            for kind in (EdgeKind.READS, EdgeKind.WRITES)
        }
        tables.append(
            TableColumns(
                name=str(table.attrs.get("table", table.name)),
                columns=list(table.attrs.get("columns", [])),
                read_by=users[EdgeKind.READS],
                written_by=users[EdgeKind.WRITES],
            )
        )
    return OwnedDatabase(name=graph.node(db_key).name, tables=tables)


def _table_access(graph: CatalogGraph, key: str) -> list[TableAccess]:
    found = []
    for kind in (EdgeKind.READS, EdgeKind.WRITES):
        for edge in graph.out_edges(key, kind):
            table = graph.node(edge.target)
            database = str(table.attrs.get("database", ""))
            db_key = node_id(NodeKind.DATABASE, database)
            owners = graph.in_edges(db_key, EdgeKind.OWNS) if db_key in graph else []
            found.append(
                TableAccess(
                    table=str(table.attrs.get("table", table.name)),
                    database=database,
                    owner=graph.node(owners[0].source).name if owners else None,
                    access=kind.value,
                    columns=list(edge.columns),
                )
            )
    return sorted(found, key=lambda t: (t.database, t.table, t.access))
