"""The first steps of a layered (Sugiyama) drawing: acyclic, layered, ordered.

Nodes are plain integers here; `layout.py` maps them to catalog nodes and boxes.
Every step is deterministic: ties are broken by node number, never by hashing.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import pairwise

Pair = tuple[int, int]
SWEEPS = 8


def break_cycles(count: int, edges: list[Pair]) -> set[int]:
    """The indexes of edges to reverse so that the graph has no cycle (DFS back edges)."""
    out: list[list[Pair]] = [[] for _ in range(count)]
    indegree = [0] * count
    for index, (u, v) in enumerate(edges):
        out[u].append((v, index))
        indegree[v] += 1
    roots = [n for n in range(count) if indegree[n] == 0]
    roots += [n for n in range(count) if indegree[n] != 0]
    state = [0] * count  # 0 unseen, 1 on the DFS stack, 2 finished
    reverse: set[int] = set()
    for root in roots:
        if state[root]:
            continue
        state[root] = 1
        stack = [(root, iter(out[root]))]
        while stack:
            node, pending = stack[-1]
            for target, index in pending:
                if state[target] == 1:
                    reverse.add(index)
                elif state[target] == 0:
                    state[target] = 1
                    stack.append((target, iter(out[target])))
                    break
            else:
                state[node] = 2
                stack.pop()
    return reverse


def assign_layers(count: int, edges: list[Pair]) -> list[int]:
    """Longest path from the sources; then each source moves next to its nearest successor.

    `edges` must be acyclic. The result uses every layer from 0 to its maximum.
    """
    succ: list[list[int]] = [[] for _ in range(count)]
    indegree = [0] * count
    for u, v in edges:
        succ[u].append(v)
        indegree[v] += 1
    layer = [0] * count
    remaining = list(indegree)
    ready = [n for n in range(count) if remaining[n] == 0]
    while ready:
        node = ready.pop()
        for target in succ[node]:
            layer[target] = max(layer[target], layer[node] + 1)
            remaining[target] -= 1
            if remaining[target] == 0:
                ready.append(target)
    for node in range(count):
        if indegree[node] == 0 and succ[node]:
            layer[node] = min(layer[t] for t in succ[node]) - 1
    used = sorted(set(layer))
    rank = {value: index for index, value in enumerate(used)}
    return [rank[value] for value in layer]


@dataclass
class LayeredGraph:
    """A proper layered graph: every edge joins adjacent layers (long edges via dummies).

    Nodes `0..real-1` are the real ones; the rest are dummies on long edges.
    `chains[i]` is the node path standing for input edge `i`.
    """

    layer: list[int]
    real: int
    chains: list[list[int]]
    pred: list[list[int]] = field(default_factory=list)
    succ: list[list[int]] = field(default_factory=list)
    layers: list[list[int]] = field(default_factory=list)

    def is_dummy(self, node: int) -> bool:
        return node >= self.real


def make_proper(count: int, edges: list[Pair], layer: list[int]) -> LayeredGraph:
    """Insert a dummy node on every layer that an edge crosses without stopping."""
    layer = list(layer)
    chains: list[list[int]] = []
    for u, v in edges:
        chain = [u]
        for level in range(layer[u] + 1, layer[v]):
            chain.append(len(layer))
            layer.append(level)
        chain.append(v)
        chains.append(chain)
    graph = LayeredGraph(layer, count, chains)
    graph.pred = [[] for _ in layer]
    graph.succ = [[] for _ in layer]
    for chain in chains:
        for a, b in pairwise(chain):
            graph.succ[a].append(b)
            graph.pred[b].append(a)
    graph.layers = [[] for _ in range(max(layer, default=-1) + 1)]
    for node, level in enumerate(layer):
        graph.layers[level].append(node)
    return graph


def order_layers(graph: LayeredGraph) -> None:
    """Reorder `graph.layers` by barycenter sweeps, keeping the order with fewest crossings."""
    position = [0] * len(graph.layer)
    for nodes in graph.layers:
        for index, node in enumerate(nodes):
            position[node] = index
    _sweep(graph, position, downward=True)
    best = [list(nodes) for nodes in graph.layers]
    best_crossings = crossings(graph)
    for _ in range(SWEEPS):
        if best_crossings == 0:
            break
        _sweep(graph, position, downward=True)
        _sweep(graph, position, downward=False)
        _transpose(graph, position)
        found = crossings(graph)
        if found < best_crossings:
            best, best_crossings = [list(nodes) for nodes in graph.layers], found
    graph.layers = best


def _sweep(graph: LayeredGraph, position: list[int], *, downward: bool) -> None:
    levels = range(1, len(graph.layers)) if downward else range(len(graph.layers) - 2, -1, -1)
    neighbours = graph.pred if downward else graph.succ
    for level in levels:
        nodes = graph.layers[level]
        keys: dict[int, tuple[float, int]] = {}
        for node in nodes:
            around = neighbours[node]
            here = position[node]
            centre = sum(position[n] for n in around) / len(around) if around else float(here)
            keys[node] = (centre, here)
        nodes.sort(key=keys.__getitem__)
        for index, node in enumerate(nodes):
            position[node] = index


def _transpose(graph: LayeredGraph, position: list[int], rounds: int = 2) -> None:
    """Swap neighbours in a layer while that removes crossings (the `dot` transpose step)."""
    for _ in range(rounds):
        improved = False
        for nodes in graph.layers:
            for index in range(len(nodes) - 1):
                u, v = nodes[index], nodes[index + 1]
                as_is = swapped = 0
                for neighbours in (graph.pred, graph.succ):
                    above = sorted(position[n] for n in neighbours[u])
                    below = sorted(position[n] for n in neighbours[v])
                    if above and below:
                        as_is += sum(bisect_left(below, p) for p in above)
                        swapped += sum(bisect_left(above, p) for p in below)
                if swapped < as_is:
                    nodes[index], nodes[index + 1] = v, u
                    position[u], position[v] = index + 1, index
                    improved = True
        if not improved:
            return


def crossings(graph: LayeredGraph) -> int:
    """How many pairs of edges cross between adjacent layers, in the current order."""
    position: dict[int, int] = {}
    for nodes in graph.layers:
        for index, node in enumerate(nodes):
            position[node] = index
    total = 0
    for level in range(len(graph.layers) - 1):
        size = len(graph.layers[level + 1])
        tree = [0] * (size + 1)
        seen = 0
        for node in graph.layers[level]:
            for target in sorted(position[t] for t in graph.succ[node]):
                # Edges seen so far that end strictly right of this one cross it.
                total += seen - _prefix(tree, target + 1)
                seen += 1
                index = target + 1
                while index <= size:
                    tree[index] += 1
                    index += index & -index
    return total


def _prefix(tree: list[int], index: int) -> int:
    total = 0
    while index > 0:
        total += tree[index]
        index -= index & -index
    return total
