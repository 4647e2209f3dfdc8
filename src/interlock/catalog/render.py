"""The service map as text for people, and as Mermaid and Graphviz DOT for other tools.

The SVG picture lives in `svg.py`; JSON is `CatalogGraph.to_json()`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from interlock.catalog.graph import CatalogGraph
from interlock.catalog.impact import Dependent
from interlock.catalog.mapview import MAP_KINDS, MapView, map_view
from interlock.catalog.model import Edge, EdgeKind, Node, NodeKind

_PLURAL = {
    NodeKind.SERVICE: "services",
    NodeKind.API: "APIs",
    NodeKind.DATABASE: "databases",
    NodeKind.TABLE: "tables",
    NodeKind.TEAM: "teams",
}


def render_text(graph: CatalogGraph) -> str:
    """A listing grouped by service, then APIs and databases: who owns, calls, reads what."""
    counts = ", ".join(
        f"{len(graph.nodes(kind))} {_PLURAL[kind]}" for kind in NodeKind if graph.nodes(kind)
    )
    lines = [f"Catalog: {counts or 'empty'}; {len(graph.edges())} edges"]
    for service in graph.nodes(NodeKind.SERVICE):
        lines += ["", f"service {service.name}", *_service_lines(graph, service)]
    for api in graph.nodes(NodeKind.API):
        rows = [
            (
                "owner",
                _names(graph, (e.target for e in graph.out_edges(api.id, EdgeKind.OWNED_BY))),
            ),
            ("provided by", _names(graph, _sources(graph, api, EdgeKind.PROVIDES))),
            ("consumed by", _names(graph, _sources(graph, api, EdgeKind.CONSUMES))),
        ]
        lines += ["", f"api {api.name}", *_rows(rows)]
    for database in graph.nodes(NodeKind.DATABASE):
        tables = [graph.node(e.target) for e in graph.out_edges(database.id, EdgeKind.CONTAINS)]
        rows = [
            ("owned by", _names(graph, _sources(graph, database, EdgeKind.OWNS))),
            ("used by", _names(graph, _sources(graph, database, EdgeKind.USES))),
        ]
        rows += [
            (f"table {_short(t)}", _columns(t.attrs.get("columns") or []))
            for t in sorted(tables, key=lambda t: t.name)
        ]
        lines += ["", f"database {database.name}", *_rows(rows)]
    return "\n".join(lines) + "\n"


def _service_lines(graph: CatalogGraph, service: Node) -> list[str]:
    out = graph.out_edges

    def uses(kind: EdgeKind) -> str:
        edges = sorted(out(service.id, kind), key=lambda e: e.target)
        return ", ".join(
            f"{graph.node(e.target).name} ({', '.join(e.columns) if e.columns else 'all columns'})"
            for e in edges
        )

    calls = sorted(out(service.id, EdgeKind.CALLS), key=lambda e: e.target)
    owned = []
    for edge in sorted(out(service.id, EdgeKind.OWNS), key=lambda e: e.target):
        tables = [
            _short(graph.node(e.target)) for e in graph.out_edges(edge.target, EdgeKind.CONTAINS)
        ]
        suffix = f" (tables: {', '.join(sorted(tables))})" if tables else ""
        owned.append(graph.node(edge.target).name + suffix)
    rows = [
        ("owner", _names(graph, (e.target for e in out(service.id, EdgeKind.OWNED_BY)))),
        ("calls", ", ".join(_call(graph, e) for e in calls)),
        ("called by", _names(graph, _sources(graph, service, EdgeKind.CALLS))),
        ("provides", _names(graph, (e.target for e in out(service.id, EdgeKind.PROVIDES)))),
        ("consumes", _names(graph, (e.target for e in out(service.id, EdgeKind.CONSUMES)))),
        ("owns", ", ".join(owned)),
        ("uses", _names(graph, (e.target for e in out(service.id, EdgeKind.USES)))),
        ("reads", uses(EdgeKind.READS)),
        ("writes", uses(EdgeKind.WRITES)),
    ]
    return _rows(rows)


def _call(graph: CatalogGraph, edge: Edge) -> str:
    name = graph.node(edge.target).name
    return f"{name} (via {edge.via})" if edge.via else name


def _sources(graph: CatalogGraph, node: Node, kind: EdgeKind) -> Iterable[str]:
    return (e.source for e in graph.in_edges(node.id, kind))


def _names(graph: CatalogGraph, keys: Iterable[str]) -> str:
    return ", ".join(sorted({graph.node(key).name for key in keys}))


def _short(table: Node) -> str:
    return str(table.attrs.get("table") or table.name)


def _columns(columns: list[str]) -> str:
    return ", ".join(columns) if columns else "(no columns declared)"


def _rows(rows: list[tuple[str, str]]) -> list[str]:
    shown = [(label, value) for label, value in rows if value]
    width = max((len(label) for label, _ in shown), default=0)
    return [f"  {label.ljust(width)}  {value}" for label, value in shown]


def describe_path(dependent: Dependent) -> str:
    """The edges from a dependent to its target: `gateway -calls-> orders -reads-> inv.products`.

    An edge walked against its direction (an API to the service providing it) reads `<-provides-`.
    """
    here = dependent.node.id
    parts = [dependent.node.name]
    for edge in dependent.path:
        if edge.source == here:
            here = edge.target
            parts.append(f"-{edge.kind.value}-> {_name_of(here)}")
        else:
            here = edge.source
            parts.append(f"<-{edge.kind.value}- {_name_of(here)}")
    return " ".join(parts)


def _name_of(key: str) -> str:
    return key.partition(":")[2]


# Mermaid ------------------------------------------------------------------------------

_MERMAID_SHAPES = {
    NodeKind.SERVICE: ('("', '")'),
    NodeKind.API: ('{{"', '"}}'),
    NodeKind.DATABASE: ('[("', '")]'),
    NodeKind.TABLE: ('["', '"]'),
    NodeKind.TEAM: ('[/"', '"/]'),
}
_COLOURS = {
    NodeKind.SERVICE: ("#e3f2fd", "#1565c0"),
    NodeKind.API: ("#f3e5f5", "#7b1fa2"),
    NodeKind.DATABASE: ("#fff8e1", "#ef6c00"),
    NodeKind.TABLE: ("#fffde7", "#a1887f"),
    NodeKind.TEAM: ("#eceff1", "#546e7a"),
}


def render_mermaid(graph: CatalogGraph, kinds: frozenset[NodeKind] = MAP_KINDS) -> str:
    """A Mermaid `flowchart LR`: databases as cylinders, APIs as hexagons, labelled arrows."""
    view = map_view(graph, kinds)
    ids = _mermaid_ids(view)
    lines = ["flowchart LR"]
    for node in view.nodes:
        start, end = _MERMAID_SHAPES[node.kind]
        lines.append(f"  {ids[node.id]}{start}{_mermaid_text(node.name)}{end}")
    for edge in view.edges:
        label = _mermaid_text(edge.label)
        lines.append(f"  {ids[edge.source]} -->|{label}| {ids[edge.target]}")
    for kind in NodeKind:
        members = [ids[n.id] for n in view.nodes if n.kind is kind]
        if members:
            fill, stroke = _COLOURS[kind]
            lines.append(f"  classDef {kind.value} fill:{fill},stroke:{stroke},color:#1f2933")
            lines.append(f"  class {','.join(members)} {kind.value}")
    return "\n".join(lines) + "\n"


def _mermaid_ids(view: MapView) -> dict[str, str]:
    """Mermaid-safe ids (`service_orders`), unique even when names differ only in symbols."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for node in view.nodes:
        base = f"{node.kind.value}_{re.sub(r'[^A-Za-z0-9_]', '_', node.name)}"
        candidate, number = base, 1
        while candidate in taken:
            number += 1
            candidate = f"{base}_{number}"
        taken.add(candidate)
        ids[node.id] = candidate
    return ids


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("|", "#124;")


# Graphviz DOT -------------------------------------------------------------------------

_DOT_SHAPES = {
    NodeKind.SERVICE: 'shape=box, style="rounded,filled"',
    NodeKind.API: 'shape=hexagon, style="filled"',
    NodeKind.DATABASE: 'shape=cylinder, style="filled"',
    NodeKind.TABLE: 'shape=box, style="filled"',
    NodeKind.TEAM: 'shape=folder, style="filled,dashed"',
}


def render_dot(graph: CatalogGraph, kinds: frozenset[NodeKind] = MAP_KINDS) -> str:
    """A Graphviz `digraph`, left to right, with a shape per node kind and labelled edges."""
    view = map_view(graph, kinds)
    lines = [
        "digraph catalog {",
        "  rankdir=LR;",
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9, color="#78909c"];',
    ]
    for node in view.nodes:
        fill, stroke = _COLOURS[node.kind]
        lines.append(
            f"  {_dot_quote(node.id)} [label={_dot_quote(node.name)}, {_DOT_SHAPES[node.kind]},"
            f' fillcolor="{fill}", color="{stroke}"];'
        )
    for edge in view.edges:
        lines.append(
            f"  {_dot_quote(edge.source)} -> {_dot_quote(edge.target)}"
            f" [label={_dot_quote(edge.label)}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
