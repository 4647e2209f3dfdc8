"""The service graph: typed nodes and edges, in insertion order, as plain dictionaries.

networkx is imported only to list the cycles of a graph that has one: reading a few descriptors
(`catalog check` in a pre-commit hook) must not pay ~150 ms for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from interlock.catalog.model import Edge, EdgeKind, Node, NodeKind, node_id
from interlock.errors import UserInputError

_PRECEDENCE = (NodeKind.SERVICE, NodeKind.API, NodeKind.DATABASE, NodeKind.TABLE, NodeKind.TEAM)


class CatalogGraph:
    """Every service, API, database, table and team, and the typed edges between them."""

    def __init__(self) -> None:
        # node id -> node (None for an id only an edge named); source -> target -> kind -> edge
        self._nodes: dict[str, Node | None] = {}
        self._out: dict[str, dict[str, dict[EdgeKind, Edge]]] = {}
        self._in: dict[str, dict[str, dict[EdgeKind, Edge]]] = {}

    def add_node(self, node: Node) -> None:
        self._nodes[node.id] = node

    def add_edge(self, edge: Edge) -> None:
        kinds = self._out.setdefault(edge.source, {}).setdefault(edge.target, {})
        if edge.kind in kinds:
            return
        self._nodes.setdefault(edge.source, None)
        self._nodes.setdefault(edge.target, None)
        kinds[edge.kind] = edge
        self._in.setdefault(edge.target, {}).setdefault(edge.source, {})[edge.kind] = edge

    def __contains__(self, key: object) -> bool:
        return key in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def node(self, key: str) -> Node:
        node = self._nodes[key]
        if node is None:
            raise KeyError(key)
        return node

    def get(self, kind: NodeKind, name: str) -> Node | None:
        return self._nodes.get(node_id(kind, name))

    def nodes(self, kind: NodeKind | None = None) -> list[Node]:
        found = (n for n in self._nodes.values() if n is not None)
        return sorted((n for n in found if kind is None or n.kind == kind), key=lambda n: n.id)

    def edges(self, kind: EdgeKind | None = None) -> list[Edge]:
        return [
            edge
            for source in self._nodes
            for kinds in self._out.get(source, {}).values()
            for key, edge in kinds.items()
            if kind is None or key == kind
        ]

    def out_edges(self, key: str, *kinds: EdgeKind) -> list[Edge]:
        return self._select(self._out.get(key, {}), kinds)

    def in_edges(self, key: str, *kinds: EdgeKind) -> list[Edge]:
        return self._select(self._in.get(key, {}), kinds)

    @staticmethod
    def _select(
        by_peer: dict[str, dict[EdgeKind, Edge]], kinds: tuple[EdgeKind, ...]
    ) -> list[Edge]:
        return [
            edge
            for by_kind in by_peer.values()
            for key, edge in by_kind.items()
            if not kinds or key in kinds
        ]

    def resolve(self, target: str) -> Node:
        """A node from what a user types: `orders`, `database:orders`, `inventory.products`.

        A bare name that several kinds share means the service (then the API, the
        database...); a table name shared by two databases is ambiguous.
        """
        if self._nodes.get(target) is not None:
            return self.node(target)
        matches = sorted(self._by_name(target), key=lambda n: _PRECEDENCE.index(n.kind))
        if len(matches) == 1 or (matches and matches[0].kind != matches[1].kind):
            return matches[0]
        if matches:
            options = ", ".join(sorted(n.id for n in matches))
            raise UserInputError(f"{target!r} is ambiguous: say which of {options}")
        import difflib

        names = [n.name for n in self.nodes()]
        close = difflib.get_close_matches(target, names, n=3)
        hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
        raise UserInputError(f"nothing in the catalog is named {target!r}{hint}")

    def _by_name(self, name: str) -> Iterator[Node]:
        for node in self.nodes():
            if node.name == name or (
                node.kind == NodeKind.TABLE and node.attrs.get("table") == name
            ):
                yield node

    def calls_cycles(self) -> list[list[str]]:
        """Each elementary cycle of `calls` edges, as service names from the smallest name."""
        pairs = [(e.source, e.target) for e in self.edges(EdgeKind.CALLS)]
        if not _has_cycle(pairs):
            return []
        import networkx as nx

        calls: Any = nx.DiGraph()
        calls.add_edges_from(pairs)
        cycles = []
        for cycle in nx.simple_cycles(calls):
            names = [self.node(n).name for n in cycle]
            start = names.index(min(names))
            cycles.append(names[start:] + names[:start])
        return sorted(cycles, key=lambda c: (len(c), c))

    def to_json(self) -> dict[str, Any]:
        return {
            "nodes": [n.to_json() for n in self.nodes()],
            "edges": [e.to_json() for e in sorted(self.edges(), key=_edge_order)],
        }


def _edge_order(edge: Edge) -> tuple[str, str, str]:
    return (edge.source, edge.kind.value, edge.target)


def _has_cycle(pairs: list[tuple[str, str]]) -> bool:
    """Whether the directed edges close a loop (Kahn's algorithm: some node is never freed)."""
    after: dict[str, list[str]] = {}
    waiting: dict[str, int] = {}
    for source, target in pairs:
        after.setdefault(source, []).append(target)
        waiting[target] = waiting.get(target, 0) + 1
        waiting.setdefault(source, 0)
    free = [node for node, count in waiting.items() if count == 0]
    freed = 0
    while free:
        node = free.pop()
        freed += 1
        for target in after.get(node, []):
            waiting[target] -= 1
            if waiting[target] == 0:
                free.append(target)
    return freed < len(waiting)
