"""The service graph: typed nodes and edges on top of a networkx multigraph."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import networkx as nx

from interlock.catalog.model import Edge, EdgeKind, Node, NodeKind, node_id
from interlock.errors import UserInputError

_PRECEDENCE = (NodeKind.SERVICE, NodeKind.API, NodeKind.DATABASE, NodeKind.TABLE, NodeKind.TEAM)


class CatalogGraph:
    """Every service, API, database, table and team, and the typed edges between them."""

    def __init__(self) -> None:
        self._graph: Any = nx.MultiDiGraph()

    def add_node(self, node: Node) -> None:
        self._graph.add_node(node.id, node=node)

    def add_edge(self, edge: Edge) -> None:
        if not self._graph.has_edge(edge.source, edge.target, key=edge.kind):
            self._graph.add_edge(edge.source, edge.target, key=edge.kind, edge=edge)

    def __contains__(self, key: object) -> bool:
        return key in self._graph

    def __len__(self) -> int:
        return int(self._graph.number_of_nodes())

    def node(self, key: str) -> Node:
        node: Node = self._graph.nodes[key]["node"]
        return node

    def get(self, kind: NodeKind, name: str) -> Node | None:
        data = self._graph.nodes.get(node_id(kind, name))
        return data["node"] if data else None

    def nodes(self, kind: NodeKind | None = None) -> list[Node]:
        found = (data["node"] for _, data in self._graph.nodes(data=True))
        return sorted((n for n in found if kind is None or n.kind == kind), key=lambda n: n.id)

    def edges(self, kind: EdgeKind | None = None) -> list[Edge]:
        return [
            data["edge"]
            for _, _, key, data in self._graph.edges(keys=True, data=True)
            if kind is None or key == kind
        ]

    def out_edges(self, key: str, *kinds: EdgeKind) -> list[Edge]:
        return self._select(self._graph.out_edges(key, keys=True, data=True), kinds)

    def in_edges(self, key: str, *kinds: EdgeKind) -> list[Edge]:
        return self._select(self._graph.in_edges(key, keys=True, data=True), kinds)

    @staticmethod
    def _select(
        rows: Iterable[tuple[str, str, EdgeKind, dict[str, Any]]], kinds: tuple[EdgeKind, ...]
    ) -> list[Edge]:
        return [data["edge"] for _, _, key, data in rows if not kinds or key in kinds]

    def resolve(self, target: str) -> Node:
        """A node from what a user types: `orders`, `database:orders`, `inventory.products`.

        A bare name that several kinds share means the service (then the API, the
        database...); a table name shared by two databases is ambiguous.
        """
        if target in self._graph:
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
        calls: Any = nx.DiGraph()
        calls.add_edges_from((e.source, e.target) for e in self.edges(EdgeKind.CALLS))
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
