"""The part of the catalog graph a service map draws: chosen node kinds, merged edges.

Every rendering (SVG, Mermaid, DOT) draws a `MapView`, so they agree on what is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from interlock.catalog.graph import CatalogGraph
from interlock.catalog.model import Edge, EdgeKind, Node, NodeKind, node_id

MAP_KINDS: frozenset[NodeKind] = frozenset({NodeKind.SERVICE, NodeKind.API, NodeKind.DATABASE})
ALL_BUT_TEAMS: frozenset[NodeKind] = frozenset(NodeKind) - {NodeKind.TEAM}

# Drawn from the API to its provider, so an API sits between consumers and provider.
_FLOW_REVERSED = frozenset({EdgeKind.PROVIDES})
_KIND_ORDER = {kind: index for index, kind in enumerate(EdgeKind)}


@dataclass(frozen=True)
class MapEdge:
    """One drawn arrow from `source` to `target`, standing for one or more catalog edges."""

    source: str
    target: str
    kinds: tuple[EdgeKind, ...]

    @property
    def label(self) -> str:
        return ", ".join(kind.value for kind in self.kinds)

    @property
    def flows_backwards(self) -> bool:
        """True when the layout places the target before the source (API <- provider)."""
        return all(kind in _FLOW_REVERSED for kind in self.kinds)


@dataclass(frozen=True)
class MapView:
    """The nodes a map shows, in id order, and the arrows between them."""

    nodes: tuple[Node, ...]
    edges: tuple[MapEdge, ...]


def map_view(graph: CatalogGraph, kinds: frozenset[NodeKind] = MAP_KINDS) -> MapView:
    """The nodes of `kinds` and the edges between them.

    When tables are hidden, reads and writes of a table are drawn to its database.
    When APIs are shown, calls derived from consuming an API are left out: the
    consumer -> API <- provider arrows already say it.
    """
    nodes = tuple(node for node in graph.nodes() if node.kind in kinds)
    merged: dict[tuple[str, str], set[EdgeKind]] = {}
    for edge in graph.edges():
        if edge.kind is EdgeKind.CALLS and edge.via and NodeKind.API in kinds:
            continue
        ends = _ends(graph, edge, kinds)
        if ends is None or ends[0] == ends[1]:
            continue
        merged.setdefault(ends, set()).add(edge.kind)
    edges = tuple(
        MapEdge(source, target, tuple(sorted(found, key=_KIND_ORDER.__getitem__)))
        for (source, target), found in sorted(merged.items())
    )
    return MapView(nodes, edges)


def _ends(graph: CatalogGraph, edge: Edge, kinds: frozenset[NodeKind]) -> tuple[str, str] | None:
    source, target = edge.source, edge.target
    if graph.node(source).kind not in kinds:
        return None
    target_node = graph.node(target)
    if target_node.kind in kinds:
        return source, target
    if target_node.kind is NodeKind.TABLE and NodeKind.DATABASE in kinds:
        database = node_id(NodeKind.DATABASE, str(target_node.attrs.get("database", "")))
        if database in graph:
            return source, database
    return None
