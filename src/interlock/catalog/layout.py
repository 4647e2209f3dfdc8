"""Where each box and arrow of the service map goes: a layered layout, left to right.

Dependencies flow to the right (caller -> API -> provider -> database); boxes in a
column never overlap, and arrows bend only in the gaps between columns.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate, pairwise

from interlock.catalog.graph import CatalogGraph
from interlock.catalog.layering import (
    LayeredGraph,
    assign_layers,
    break_cycles,
    make_proper,
    order_layers,
)
from interlock.catalog.mapview import MAP_KINDS, MapEdge, MapView, map_view
from interlock.catalog.model import Node, NodeKind

Point = tuple[float, float]

CHAR_WIDTH = 7.2  # average advance of a 12px sans-serif glyph, generous
LABEL_CHAR_WIDTH = 6.0  # the same for the 10px edge labels
LABEL_HEIGHT = 12.0
NODE_GAP = 18.0  # vertical space between two boxes of a column
DUMMY_HEIGHT = 14.0  # the slot a long edge takes in a column it crosses: fits its label
DUMMY_GAP = 4.0
MIN_LAYER_GAP = 90.0
COORDINATE_PASSES = 12
LABEL_STEPS = (0.5, 0.35, 0.65, 0.22, 0.78)

# (height, horizontal padding on each side) per kind; APIs are hexagons, wider at the tips.
_SHAPE = {
    NodeKind.SERVICE: (36.0, 14.0),
    NodeKind.API: (32.0, 22.0),
    NodeKind.DATABASE: (50.0, 16.0),
    NodeKind.TABLE: (28.0, 10.0),
    NodeKind.TEAM: (32.0, 14.0),
}
MIN_WIDTH = 72.0


@dataclass(frozen=True)
class NodeBox:
    """The rectangle a node is drawn in (x, y is the top left corner)."""

    node: Node
    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> Point:
        return (self.x + self.width / 2, self.y + self.height / 2)

    def overlaps(self, other: NodeBox) -> bool:
        """True when the two rectangles share any area (touching edges do not count)."""
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )


@dataclass(frozen=True)
class Route:
    """An arrow: points from source to target; odd segments are curves across a gap."""

    edge: MapEdge
    points: tuple[Point, ...]
    label_at: Point


@dataclass(frozen=True)
class Layout:
    """Every box and route of a map, in a `width` x `height` area whose origin is 0, 0."""

    width: float
    height: float
    boxes: tuple[NodeBox, ...]
    routes: tuple[Route, ...]


def node_size(node: Node) -> tuple[float, float]:
    """The width and height of a node's box: wide enough for its name."""
    height, padding = _SHAPE[node.kind]
    return max(MIN_WIDTH, len(node.name) * CHAR_WIDTH + 2 * padding), height


def label_width(text: str) -> float:
    return len(text) * LABEL_CHAR_WIDTH + 6


def layout(graph: CatalogGraph, kinds: frozenset[NodeKind] = MAP_KINDS) -> Layout:
    """The layered layout of the nodes of `kinds` in `graph` and the edges between them."""
    return layout_view(map_view(graph, kinds))


def layout_view(view: MapView) -> Layout:
    """Break cycles, layer, order by barycenters, place boxes, route and label the edges."""
    index = {node.id: i for i, node in enumerate(view.nodes)}
    count = len(view.nodes)
    flows: list[tuple[int, int]] = []
    for edge in view.edges:
        u, v = index[edge.source], index[edge.target]
        flows.append((v, u) if edge.flows_backwards else (u, v))
    reverse = break_cycles(count, flows)
    dag = [(v, u) if i in reverse else (u, v) for i, (u, v) in enumerate(flows)]
    graph = make_proper(count, dag, assign_layers(count, dag))
    order_layers(graph)
    sizes = [node_size(node) for node in view.nodes]
    sizes += [(0.0, DUMMY_HEIGHT)] * (len(graph.layer) - count)
    gap = max([MIN_LAYER_GAP] + [label_width(e.label) + 40 for e in view.edges])
    columns = _columns(graph, sizes, gap)
    ys = _vertical(graph, sizes)
    top = min((ys[n] - sizes[n][1] / 2 for n in range(len(ys))), default=0.0)
    ys = [y - top for y in ys]
    boxes = []
    for n, node in enumerate(view.nodes):
        left, right = columns[graph.layer[n]]
        width, height = sizes[n]
        boxes.append(NodeBox(node, (left + right - width) / 2, ys[n] - height / 2, width, height))
    routes = _routes(view, graph, boxes, columns, ys, reverse)
    width = columns[-1][1] if columns else 0.0
    height = max((ys[n] + sizes[n][1] / 2 for n in range(len(ys))), default=0.0)
    return Layout(width, height, tuple(boxes), routes)


def _columns(graph: LayeredGraph, sizes: list[tuple[float, float]], gap: float) -> list[Point]:
    """The left and right x of each layer's column."""
    columns: list[Point] = []
    left = 0.0
    for nodes in graph.layers:
        width = max((sizes[n][0] for n in nodes), default=0.0)
        columns.append((left, left + width))
        left += width + gap
    return columns


def _vertical(graph: LayeredGraph, sizes: list[tuple[float, float]]) -> list[float]:
    """The centre y of every node: near its neighbours, never closer than allowed."""
    weight = [1.0 if not graph.is_dummy(n) else 2.0 for n in range(len(graph.layer))]
    separations = []
    ys = [0.0] * len(graph.layer)
    for nodes in graph.layers:
        offsets = [0.0]
        for a, b in pairwise(nodes):
            both_real = not graph.is_dummy(a) and not graph.is_dummy(b)
            space = NODE_GAP if both_real else DUMMY_GAP
            offsets.append(offsets[-1] + (sizes[a][1] + sizes[b][1]) / 2 + space)
        separations.append(offsets)
        for node, offset in zip(nodes, offsets, strict=True):
            ys[node] = offset
    levels = list(zip(graph.layers, separations, strict=True))
    for sweep in range(COORDINATE_PASSES):
        # Left to right towards predecessors, right to left towards successors; both last.
        if sweep == COORDINATE_PASSES - 1:
            neighbours = [p + s for p, s in zip(graph.pred, graph.succ, strict=True)]
        else:
            neighbours = graph.pred if sweep % 2 == 0 else graph.succ
        for nodes, offsets in levels if sweep % 2 == 0 else levels[::-1]:
            wanted = []
            for node in nodes:
                around = neighbours[node]
                wanted.append(sum(ys[n] for n in around) / len(around) if around else ys[node])
            placed = _closest_ordered(wanted, offsets, [weight[n] for n in nodes])
            for node, y in zip(nodes, placed, strict=True):
                ys[node] = y
    return _close_gaps(ys, sizes)


def _close_gaps(ys: list[float], sizes: list[tuple[float, float]]) -> list[float]:
    """Shrink horizontal bands that no box or edge crosses (parts drift apart otherwise).

    The shift is monotone in y, so every order and every separation outside the
    removed bands is kept; inside one, NODE_GAP is left.
    """
    spans = sorted((y - h / 2, y + h / 2) for y, (_, h) in zip(ys, sizes, strict=True))
    cuts: list[tuple[float, float]] = []  # (y below which to shift, by how much)
    reach = spans[0][1] if spans else 0.0
    for top, bottom in spans[1:]:
        if top - reach > NODE_GAP:
            cuts.append((top, top - reach - NODE_GAP))
        reach = max(reach, bottom)
    if not cuts:
        return ys
    starts = [at for at, _ in cuts]
    totals = list(accumulate(amount for _, amount in cuts))
    return [
        y - (totals[index - 1] if (index := bisect_right(starts, y - h / 2)) else 0.0)
        for y, (_, h) in zip(ys, sizes, strict=True)
    ]


def _closest_ordered(
    wanted: list[float], offsets: list[float], weights: list[float]
) -> list[float]:
    """Positions as close as possible to `wanted` (least squares) keeping the separations.

    With z_i = y_i - offset_i the constraints become z_1 <= z_2 <= ...: an isotonic
    regression, solved exactly by pooling adjacent violators.
    """
    blocks: list[list[float]] = []  # [weighted sum, total weight, count]
    for target, offset, weight in zip(wanted, offsets, weights, strict=True):
        blocks.append([(target - offset) * weight, weight, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            blocks[-1][0] += last[0]
            blocks[-1][1] += last[1]
            blocks[-1][2] += last[2]
    placed: list[float] = []
    for total, weight, count in blocks:
        placed.extend([total / weight] * int(count))
    return [z + offset for z, offset in zip(placed, offsets, strict=True)]


def _routes(
    view: MapView,
    graph: LayeredGraph,
    boxes: list[NodeBox],
    columns: list[Point],
    ys: list[float],
    reverse: set[int],
) -> tuple[Route, ...]:
    labels = _LabelBoard()
    pending: list[tuple[int, list[Point]]] = []
    found: dict[int, Route] = {}
    for i, edge in enumerate(view.edges):
        chain = graph.chains[i]
        first, last = boxes[chain[0]], boxes[chain[-1]]
        points: list[Point] = [
            (first.x + first.width, ys[chain[0]]),
            (columns[graph.layer[chain[0]]][1], ys[chain[0]]),
        ]
        for dummy in chain[1:-1]:
            left, right = columns[graph.layer[dummy]]
            points += [(left, ys[dummy]), (right, ys[dummy])]
        points += [(columns[graph.layer[chain[-1]]][0], ys[chain[-1]]), (last.x, ys[chain[-1]])]
        if len(chain) > 2:
            left, right = columns[graph.layer[chain[len(chain) // 2]]]
            label_at = ((left + right) / 2, ys[chain[len(chain) // 2]])
            labels.place(label_at, edge.label)
            found[i] = _route(edge, points, label_at, i in reverse)
        else:
            pending.append((i, points))
    for i, points in pending:
        edge = view.edges[i]
        (x0, y0), (x1, y1) = points[1], points[2]
        candidates = [_on_curve(x0, y0, x1, y1, t) for t in LABEL_STEPS]
        label_at = labels.best(candidates, edge.label)
        labels.place(label_at, edge.label)
        found[i] = _route(edge, points, label_at, i in reverse)
    return tuple(found[i] for i in range(len(view.edges)))


def _route(edge: MapEdge, points: list[Point], label_at: Point, cycle_reversed: bool) -> Route:
    if edge.flows_backwards != cycle_reversed:
        points = points[::-1]
    return Route(edge, tuple(points), label_at)


def _on_curve(x0: float, y0: float, x1: float, y1: float, t: float) -> Point:
    """The point at `t` on the gap curve: a cubic with horizontal tangents at both ends."""
    s = 1 - t
    middle = (x0 + x1) / 2
    x = s**3 * x0 + 3 * s * s * t * middle + 3 * s * t * t * middle + t**3 * x1
    near_start = s**3 + 3 * s * s * t
    return (x, y0 * near_start + y1 * (1 - near_start))


class _LabelBoard:
    """Edge labels placed so far, bucketed by height so a new one checks only its neighbours."""

    BUCKET = 40.0

    def __init__(self) -> None:
        self._rows: dict[int, list[tuple[float, float, float, float]]] = {}

    @staticmethod
    def _rect(at: Point, text: str) -> tuple[float, float, float, float]:
        half = label_width(text) / 2
        return (at[0] - half, at[1] - LABEL_HEIGHT / 2, at[0] + half, at[1] + LABEL_HEIGHT / 2)

    def _clashes(self, rect: tuple[float, float, float, float]) -> int:
        found = 0
        for row in range(int(rect[1] // self.BUCKET), int(rect[3] // self.BUCKET) + 1):
            for other in self._rows.get(row, ()):
                if (
                    rect[0] < other[2]
                    and other[0] < rect[2]
                    and rect[1] < other[3]
                    and other[1] < rect[3]
                ):
                    found += 1
        return found

    def best(self, candidates: list[Point], text: str) -> Point:
        scored = [(self._clashes(self._rect(at, text)), i) for i, at in enumerate(candidates)]
        return candidates[min(scored)[1]]

    def place(self, at: Point, text: str) -> None:
        rect = self._rect(at, text)
        for row in range(int(rect[1] // self.BUCKET), int(rect[3] // self.BUCKET) + 1):
            self._rows.setdefault(row, []).append(rect)
