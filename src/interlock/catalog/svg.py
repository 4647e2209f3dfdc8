"""The service map as a standalone SVG picture, drawn from the layered layout.

Services are rounded boxes, APIs hexagons, databases cylinders; every arrow is labelled
by its kind. Node ids and classes are stable so the dashboard can link and style them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from xml.sax.saxutils import escape, quoteattr

from interlock.catalog.graph import CatalogGraph
from interlock.catalog.layout import Layout, NodeBox, Point, Route, layout_view, node_size
from interlock.catalog.mapview import MAP_KINDS, map_view
from interlock.catalog.model import Node, NodeKind

MARGIN = 24.0
LEGEND_HEIGHT = 56.0
ARROW_ID = "interlock-map-arrow"

_STYLE = """
.interlock-map { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; }
.interlock-map text { font-size: 12px; fill: #1f2933; text-anchor: middle; dominant-baseline: central; }
.interlock-map .node .shape { stroke-width: 1.5; }
.interlock-map .service .shape { fill: #e3f2fd; stroke: #1565c0; }
.interlock-map .api .shape { fill: #f3e5f5; stroke: #7b1fa2; }
.interlock-map .database .shape { fill: #fff8e1; stroke: #ef6c00; }
.interlock-map .table .shape { fill: #fffde7; stroke: #a1887f; }
.interlock-map .team .shape { fill: #eceff1; stroke: #546e7a; stroke-dasharray: 4 3; }
.interlock-map .table text { font-size: 11px; }
.interlock-map a:hover .shape { stroke-width: 3; }
.interlock-map .edge path { fill: none; stroke: #78909c; stroke-width: 1.2; }
.interlock-map .edge.reads path, .interlock-map .edge.writes path { stroke: #ef6c00; stroke-dasharray: 5 3; }
.interlock-map .edge-label { font-size: 10px; fill: #455a64; paint-order: stroke; stroke: #ffffff; stroke-width: 3px; }
.interlock-map .legend text { text-anchor: start; font-size: 11px; }
"""

_LEGEND_TEXT = {
    NodeKind.SERVICE: "service",
    NodeKind.API: "API",
    NodeKind.DATABASE: "database",
    NodeKind.TABLE: "table",
    NodeKind.TEAM: "team",
}


def render_svg(
    graph: CatalogGraph,
    href: Callable[[Node], str | None] | None = None,
    kinds: frozenset[NodeKind] = MAP_KINDS,
    marks: Mapping[str, str] | None = None,
) -> str:
    """The map of the nodes of `kinds` as SVG; a node is a link when `href` gives it a URL.

    `marks` adds CSS classes to nodes (by node id) and arrows (by `source->target` ids),
    so a page can colour some of them (the incident page: alerting services, the origin).
    """
    return draw_svg(layout_view(map_view(graph, kinds)), href, kinds, marks)


def draw_svg(
    plan: Layout,
    href: Callable[[Node], str | None] | None = None,
    kinds: frozenset[NodeKind] = MAP_KINDS,
    marks: Mapping[str, str] | None = None,
) -> str:
    """Draw an already computed layout (the tests check its boxes directly)."""
    marks = marks or {}
    legend_width = _legend_width(kinds)
    width = max(plan.width, legend_width) + 2 * MARGIN
    height = plan.height + LEGEND_HEIGHT + 2 * MARGIN
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        f' class="interlock-map" width="{coordinate(width)}" height="{coordinate(height)}"'
        f' viewBox="0 0 {coordinate(width)} {coordinate(height)}" role="img">',
        f"<title>Service map: {len(plan.boxes)} nodes, {len(plan.routes)} edges</title>",
        f"<defs><style>{_STYLE}</style>",
        f'<marker id="{ARROW_ID}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8"'
        ' markerHeight="8" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#78909c"/></marker></defs>',
    ]
    out += _legend(kinds)
    out.append(
        f'<g class="map" transform="translate({coordinate(MARGIN)},{coordinate(MARGIN + LEGEND_HEIGHT)})">'
    )
    out.append('<g class="edges">')
    for number, route in enumerate(plan.routes):
        out.append(_edge(number, route, marks.get(f"{route.edge.source}->{route.edge.target}")))
    out.append("</g>")
    out.append('<g class="nodes">')
    for box in plan.boxes:
        out.append(_node(box, href(box.node) if href else None, marks.get(box.node.id)))
    out.append("</g>")
    out.append('<g class="edge-labels">')
    for route in plan.routes:
        x, y = route.label_at
        label = escape(route.edge.label)
        out.append(
            f'<text class="edge-label" x="{coordinate(x)}" y="{coordinate(y)}">{label}</text>'
        )
    out.append("</g></g></svg>")
    return "\n".join(out) + "\n"


def element_id(node: Node) -> str:
    """The SVG id of a node: `node-service-orders`; safe as an XML id and in CSS."""
    return f"node-{node.kind.value}-{re.sub(r'[^A-Za-z0-9_.-]', '_', node.name)}"


def coordinate(value: float) -> str:
    """A coordinate with one decimal, without a trailing `.0`, so output is stable."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _shape(kind: NodeKind, x: float, y: float, w: float, h: float) -> str:
    if kind is NodeKind.DATABASE:
        ry = 7.0
        return (
            f'<path class="shape" d="M{coordinate(x)},{coordinate(y + ry)}'
            f" a{coordinate(w / 2)},{coordinate(ry)} 0 0,0 {coordinate(w)},0"
            f" a{coordinate(w / 2)},{coordinate(ry)} 0 0,0 {coordinate(-w)},0"
            f" v{coordinate(h - 2 * ry)}"
            f" a{coordinate(w / 2)},{coordinate(ry)} 0 0,0 {coordinate(w)},0"
            f' v{coordinate(-(h - 2 * ry))}"/>'
        )
    if kind is NodeKind.API:
        tip = 10.0
        points = [
            (x, y + h / 2),
            (x + tip, y),
            (x + w - tip, y),
            (x + w, y + h / 2),
            (x + w - tip, y + h),
            (x + tip, y + h),
        ]
        return f'<polygon class="shape" points="{" ".join(f"{coordinate(a)},{coordinate(b)}" for a, b in points)}"/>'
    radius = {NodeKind.SERVICE: 8.0, NodeKind.TEAM: 4.0}.get(kind, 0.0)
    return (
        f'<rect class="shape" x="{coordinate(x)}" y="{coordinate(y)}" width="{coordinate(w)}" height="{coordinate(h)}"'
        f' rx="{coordinate(radius)}"/>'
    )


def _node(box: NodeBox, url: str | None, mark: str | None = None) -> str:
    node = box.node
    label_y = box.y + box.height / 2 + (3.5 if node.kind is NodeKind.DATABASE else 0.0)
    cx = box.x + box.width / 2
    classes = f"node {node.kind.value}" + (f" {mark}" if mark else "")
    body = (
        f'<g id="{element_id(node)}" class={quoteattr(classes)}'
        f" data-name={quoteattr(node.name)}>"
        f"<title>{escape(node.kind.value)} {escape(node.name)}</title>"
        f"{_shape(node.kind, box.x, box.y, box.width, box.height)}"
        f'<text x="{coordinate(cx)}" y="{coordinate(label_y)}">{escape(node.name)}</text></g>'
    )
    if url is None:
        return body
    link = quoteattr(url)
    return f"<a href={link} xlink:href={link}>{body}</a>"


def _edge(number: int, route: Route, mark: str | None = None) -> str:
    edge = route.edge
    classes = " ".join(["edge", *(kind.value for kind in edge.kinds), *([mark] if mark else [])])
    title = f"{edge.source} {edge.label} {edge.target}"
    return (
        f'<g id="edge-{number}" class={quoteattr(classes)}><title>{escape(title)}</title>'
        f'<path d="{route_path(route.points)}" marker-end="url(#{ARROW_ID})"/></g>'
    )


def route_path(points: tuple[Point, ...]) -> str:
    """Straight runs through columns, horizontal-tangent cubics across the gaps."""
    x, y = points[0]
    parts = [f"M{coordinate(x)},{coordinate(y)}"]
    for index in range(1, len(points)):
        (x0, y0), (x1, y1) = points[index - 1], points[index]
        if index % 2 == 1:
            parts.append(f"L{coordinate(x1)},{coordinate(y1)}")
        else:
            middle = (x0 + x1) / 2
            parts.append(
                f"C{coordinate(middle)},{coordinate(y0)} {coordinate(middle)},{coordinate(y1)} {coordinate(x1)},{coordinate(y1)}"
            )
    return " ".join(parts)


def _legend_kinds(kinds: frozenset[NodeKind]) -> list[NodeKind]:
    return [kind for kind in NodeKind if kind in kinds]


def _legend_width(kinds: frozenset[NodeKind]) -> float:
    return 110.0 * len(_legend_kinds(kinds)) + 260.0


def _legend(kinds: frozenset[NodeKind]) -> list[str]:
    out = [
        f'<g class="legend" transform="translate({coordinate(MARGIN)},{coordinate(MARGIN / 2)})">'
    ]
    x = 0.0
    for kind in _legend_kinds(kinds):
        width, height = 44.0, min(node_size(Node(kind, "x"))[1], 30.0)
        out.append(f'<g class="legend-item {kind.value}">')
        out.append(_shape(kind, x, 0.0, width, height))
        out.append(
            f'<text x="{coordinate(x + width + 6)}" y="{coordinate(height / 2)}">{_LEGEND_TEXT[kind]}</text>'
        )
        out.append("</g>")
        x += 110.0
    out.append(
        f'<text x="{coordinate(x)}" y="15">each arrow is labelled with the relation it stands for'
        " (calls, provides, consumes, owns, reads, writes)</text>"
    )
    out.append("</g>")
    return out
