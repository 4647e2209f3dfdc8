"""What depends on a thing, transitively, with the path of edges that leads there.

`Y depends on X` when Y calls X, consumes API X, is an API that X provides, reads or
writes table X, owns or uses database X, or owns the database that holds table X.
A `table.column` target narrows the first hop to reads and writes of that column.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from interlock.catalog.graph import CatalogGraph
from interlock.catalog.model import Edge, EdgeKind, Node, NodeKind
from interlock.errors import UserInputError

Step = tuple[str, tuple[Edge, ...]]


@dataclass(frozen=True)
class Dependent:
    """A node that depends on the target, and the edges from it down to the target."""

    node: Node
    path: tuple[Edge, ...]

    @property
    def distance(self) -> int:
        return len(self.path)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.node.id,
            "kind": self.node.kind.value,
            "name": self.node.name,
            "distance": self.distance,
            "path": [e.to_json() for e in self.path],
        }


@dataclass(frozen=True)
class ImpactReport:
    target: Node
    column: str | None
    dependents: tuple[Dependent, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target.id,
            "column": self.column,
            "dependents": [d.to_json() for d in self.dependents],
        }


def impact(graph: CatalogGraph, target: str) -> ImpactReport:
    """Everything that depends on `target` (a name, `kind:name`, `db.table` or `table.column`)."""
    node, column = _resolve_target(graph, target)
    seen = {node.id}
    queue: deque[tuple[str, tuple[Edge, ...]]] = deque([(node.id, ())])
    found: list[Dependent] = []
    while queue:
        current, path = queue.popleft()
        first_hop_column = column if current == node.id else None
        for dependent, edges in _depends_on(graph, current, first_hop_column):
            if dependent in seen:
                continue
            seen.add(dependent)
            full = (*edges, *path)
            found.append(Dependent(graph.node(dependent), full))
            queue.append((dependent, full))
    found.sort(key=lambda d: (d.distance, d.node.kind.value, d.node.name))
    return ImpactReport(node, column, tuple(found))


def _resolve_target(graph: CatalogGraph, target: str) -> tuple[Node, str | None]:
    try:
        return graph.resolve(target), None
    except UserInputError:
        table_part, dot, column = target.rpartition(".")
        if not dot:
            raise
    try:
        table = graph.resolve(table_part)
    except UserInputError:
        raise UserInputError(f"nothing in the catalog is named {target!r}") from None
    if table.kind != NodeKind.TABLE:
        raise UserInputError(
            f"{target!r}: {table.id} is not a table, so it has no column {column!r}"
        )
    columns = table.attrs.get("columns") or []
    if columns and column not in columns:
        raise UserInputError(
            f"table {table.name!r} has no column {column!r}: it has {', '.join(columns)}"
        )
    return table, column


def _depends_on(graph: CatalogGraph, key: str, column: str | None) -> Iterator[Step]:
    """Each node that directly depends on `key`, with the edge(s) that say so."""
    for edge in graph.in_edges(
        key, EdgeKind.CALLS, EdgeKind.CONSUMES, EdgeKind.OWNS, EdgeKind.USES
    ):
        yield edge.source, (edge,)
    for edge in graph.in_edges(key, EdgeKind.READS, EdgeKind.WRITES):
        if column is None or not edge.columns or column in edge.columns:
            yield edge.source, (edge,)
    for edge in graph.out_edges(key, EdgeKind.PROVIDES, EdgeKind.CONTAINS):
        yield edge.target, (edge,)
    for contains in graph.in_edges(key, EdgeKind.CONTAINS):
        for owns in graph.in_edges(contains.source, EdgeKind.OWNS):
            yield owns.source, (owns, contains)
