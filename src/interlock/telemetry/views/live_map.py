"""The live service map as SVG: observed and declared edges, each labelled with its traffic.

Laid out by the catalog's layered layout; solid arrows were seen, dashed grey ones only declared,
orange ones seen but never declared.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace
from itertools import pairwise
from xml.sax.saxutils import escape, quoteattr

from interlock.catalog import (
    CatalogGraph,
    Edge,
    EdgeKind,
    Layout,
    Node,
    NodeKind,
    Route,
    coordinate,
    layout,
    node_id,
    route_path,
)
from interlock.telemetry.drift import DriftReport, EdgeState
from interlock.telemetry.views.traces import format_ms

MARGIN = 24.0
LABEL_GAP = 150.0  # room between columns for the two-line traffic labels
LEGEND = 40.0
_STYLE = """
.live-map { font-family: system-ui, sans-serif; }
.live-map text { font-size: 12px; fill: #1d2330; text-anchor: middle; dominant-baseline: central; }
.live-map .node rect { fill: #e3f2fd; stroke: #1565c0; stroke-width: 1.5; }
.live-map .node.database rect { fill: #fff8e1; stroke: #ef6c00; }
.live-map .node.idle rect { fill: #f5f7fa; stroke: #9aa2b1; }
.live-map .edge path { fill: none; stroke-width: 1.8; }
.live-map .edge.both path { stroke: #1f5fbf; }
.live-map .edge.observed path { stroke: #d9730d; }
.live-map .edge.declared path { stroke: #9aa2b1; stroke-dasharray: 5 4; }
.live-map .edge.failing path { stroke: #b42318; }
.live-map .edge-label { font-size: 10px; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.live-map .legend text { text-anchor: start; font-size: 11px; }
"""


def edge_label(state: EdgeState) -> tuple[str, str]:
    """Two short lines: the rate, then the error rate and p95; or why there is no traffic."""
    seen = state.observed
    if seen is None:
        return ("declared", "not seen")
    return (
        f"{seen.calls_per_minute:.3g}/min",
        f"{seen.error_rate:.0%} err · p95 {format_ms(seen.p95_ms)}",
    )


def map_graph(report: DriftReport) -> CatalogGraph:
    """A throwaway graph of the nodes and edges in `report`, for the layered layout."""
    graph = CatalogGraph()
    for state in report.edges:
        kind = NodeKind.SERVICE if state.callee_kind == "service" else NodeKind.DATABASE
        for node in (Node(NodeKind.SERVICE, state.caller), Node(kind, state.callee)):
            if node.id not in graph:
                graph.add_node(node)
        edge_kind = EdgeKind.CALLS if kind is NodeKind.SERVICE else EdgeKind.USES
        graph.add_edge(
            Edge(node_id(NodeKind.SERVICE, state.caller), node_id(kind, state.callee), edge_kind)
        )
    return graph


def live_map_svg(report: DriftReport, active: set[str] | None = None) -> str:
    """The map of `report`: services link to their RED pages; idle services are grey."""
    active = set(report.active_services) if active is None else active
    states = {(node_id(NodeKind.SERVICE, s.caller), s.callee): s for s in report.edges}
    plan = widen_gaps(layout(map_graph(report)), LABEL_GAP)
    width = max(plan.width, 560.0) + 2 * MARGIN
    height = plan.height + 2 * MARGIN + LEGEND
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="live-map" width="{coordinate(width)}" '
        f'height="{coordinate(height)}" viewBox="0 0 {coordinate(width)} {coordinate(height)}" role="img">',
        f"<title>Live service map: {len(plan.boxes)} nodes, {len(plan.routes)} edges</title>",
        f"<defs><style>{_STYLE}</style>",
        '<marker id="live-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#5c6577"/></marker></defs>',
        *_legend(),
        f'<g transform="translate({coordinate(MARGIN)},{coordinate(MARGIN + LEGEND)})">',
    ]
    labels = []
    for route in plan.routes:
        callee = route.edge.target.split(":", 1)[1]
        state = states.get((route.edge.source, callee))
        if state is None:
            continue
        out.append(_edge(route, state))
        first, second = edge_label(state)
        x, y = route.label_at
        labels.append(
            f'<text class="edge-label" x="{coordinate(x)}" y="{coordinate(y - 6)}">{escape(first)}</text>'
            f'<text class="edge-label" x="{coordinate(x)}" y="{coordinate(y + 6)}">{escape(second)}</text>'
        )
    for box in plan.boxes:
        node = box.node
        idle = node.kind is NodeKind.SERVICE and node.name not in active
        classes = f"node {node.kind.value}{' idle' if idle else ''}"
        body = (
            f'<g class="{classes}" data-name={quoteattr(node.name)}>'
            f"<title>{escape(node.kind.value)} {escape(node.name)}"
            f"{' (no spans in this window)' if idle else ''}</title>"
            f'<rect x="{coordinate(box.x)}" y="{coordinate(box.y)}" width="{coordinate(box.width)}" '
            f'height="{coordinate(box.height)}" rx="{8 if node.kind is NodeKind.SERVICE else 2}"/>'
            f'<text x="{coordinate(box.x + box.width / 2)}" y="{coordinate(box.y + box.height / 2)}">'
            f"{escape(node.name)}</text></g>"
        )
        if node.kind is NodeKind.SERVICE:
            link = quoteattr(f"/services/{node.name}/red")
            body = f"<a href={link}>{body}</a>"
        out.append(body)
    out += labels
    out.append("</g></svg>")
    return "\n".join(out) + "\n"


def widen_gaps(plan: Layout, gap: float) -> Layout:
    """The same layout with at least `gap` between columns: boxes keep their size, and every
    x in a gap moves in proportion, so arrows still meet the boxes they join."""
    spans: dict[float, tuple[float, float]] = {}
    for box in plan.boxes:
        centre = round(box.x + box.width / 2, 3)
        left, right = spans.get(centre, (box.x, box.x + box.width))
        spans[centre] = (min(left, box.x), max(right, box.x + box.width))
    columns = sorted(spans.values())
    narrowest = min((b[0] - a[1] for a, b in pairwise(columns)), default=gap)
    extra = max(0.0, gap - narrowest)
    if extra == 0.0:
        return plan
    lefts = [left for left, _ in columns]

    def shift(x: float) -> float:
        index = bisect_right(lefts, x + 1e-6) - 1  # the column at or before x
        if index < 0:
            return x
        right = columns[index][1]
        if x <= right + 1e-6 or index + 1 == len(columns):
            return x + index * extra
        following = columns[index + 1][0]
        return x + index * extra + extra * (x - right) / max(following - right, 1e-6)

    boxes = tuple(replace(b, x=shift(b.x)) for b in plan.boxes)
    routes = tuple(
        replace(
            r,
            points=tuple((shift(x), y) for x, y in r.points),
            label_at=(shift(r.label_at[0]), r.label_at[1]),
        )
        for r in plan.routes
    )
    return Layout(plan.width + extra * (len(columns) - 1), plan.height, boxes, routes)


def _edge(route: Route, state: EdgeState) -> str:
    failing = state.observed is not None and state.observed.error_rate > 0
    classes = f"edge {state.status}{' failing' if failing else ''}"
    title = f"{state.caller} → {state.callee} ({state.status})"
    return (
        f'<g class="{classes}" data-caller={quoteattr(state.caller)} '
        f"data-callee={quoteattr(state.callee)}><title>{escape(title)}</title>"
        f'<path d="{route_path(route.points)}" marker-end="url(#live-arrow)"/></g>'
    )


def _legend() -> list[str]:
    items = [
        ("both", "#1f5fbf", "", "declared and seen"),
        ("observed", "#d9730d", "", "seen, not declared"),
        ("declared", "#9aa2b1", ' stroke-dasharray="5 4"', "declared, not seen"),
        ("failing", "#b42318", "", "errors seen"),
    ]
    out = [
        f'<g class="legend" transform="translate({coordinate(MARGIN)},{coordinate(MARGIN / 2)})">'
    ]
    for index, (_, colour, dash, text) in enumerate(items):
        x = index * 150.0
        out.append(
            f'<line x1="{coordinate(x)}" y1="8" x2="{coordinate(x + 30)}" y2="8" stroke="{colour}" '
            f'stroke-width="2"{dash}/><text x="{coordinate(x + 36)}" y="8">{escape(text)}</text>'
        )
    out.append("</g>")
    return out
