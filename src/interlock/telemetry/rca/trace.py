"""Root cause inside one trace: the failing span nothing below explains, and the critical path.

Pure functions over `Span` lists; the usual self time per operation comes in as a `Baseline`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from interlock.telemetry.model import Span, SpanKind

ComponentKey = tuple[str, str]
"""`(service, operation)`: the unit RCA blames."""

_NS_PER_MS = 1_000_000
_PEER_KEYS = ("peer.service", "db.namespace", "db.name", "server.address", "net.peer.name")


def operation_of(span: Span) -> str:
    """The span's name, plus the peer it calls for CLIENT/PRODUCER spans (`POST → orders`)."""
    if span.kind in (SpanKind.CLIENT, SpanKind.PRODUCER):
        for key in _PEER_KEYS:
            peer = span.attributes.get(key)
            if peer not in (None, "") and str(peer) not in span.name:
                return f"{span.name} → {peer}"
    return span.name


def component_of(span: Span) -> ComponentKey:
    return (span.service, operation_of(span))


def quantile(values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile `q` of `values` (which need not be sorted); 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.999999) - 1))
    return ordered[index]


@dataclass(frozen=True)
class OperationBaseline:
    """The usual self time of one operation: over `count` spans of healthy traces."""

    count: int
    median_self_ms: float
    p95_self_ms: float


@dataclass(frozen=True)
class Baseline:
    """Usual self time per `(service, operation)` and usual duration per root operation."""

    operations: Mapping[ComponentKey, OperationBaseline] = field(default_factory=dict)
    root_p95_ms: Mapping[ComponentKey, float] = field(default_factory=dict)
    traces: int = 0

    @classmethod
    def from_traces(cls, traces: Iterable[Sequence[Span]]) -> Baseline:
        """Learn from traces assumed healthy; traces with an error span are left out."""
        self_ms: dict[ComponentKey, list[float]] = {}
        root_ms: dict[ComponentKey, list[float]] = {}
        count = 0
        for spans in traces:
            if not spans or any(s.is_error for s in spans):
                continue
            tree = TraceTree(spans)
            count += 1
            root_ms.setdefault(component_of(tree.root), []).append(tree.duration_ms)
            for span in spans:
                key = component_of(span)
                self_ms.setdefault(key, []).append(tree.self_ns(span) / _NS_PER_MS)
        operations = {
            key: OperationBaseline(len(v), quantile(v, 0.5), quantile(v, 0.95))
            for key, v in self_ms.items()
        }
        return cls(operations, {k: quantile(v, 0.95) for k, v in root_ms.items()}, count)


class TraceTree:
    """The spans of one trace as a tree; spans whose parent is missing become roots."""

    def __init__(self, spans: Sequence[Span]) -> None:
        if not spans:
            raise ValueError("a trace needs at least one span")
        self.spans = sorted(spans, key=lambda s: (s.start_unix_nano, s.end_unix_nano))
        by_id = {s.span_id: s for s in self.spans}
        self.children: dict[str, list[Span]] = {s.span_id: [] for s in self.spans}
        self.roots: list[Span] = []
        self.parent: dict[str, Span] = {}
        for span in self.spans:
            parent = by_id.get(span.parent_span_id or "")
            if parent is None or parent.span_id == span.span_id:
                self.roots.append(span)
            else:
                self.children[parent.span_id].append(span)
                self.parent[span.span_id] = parent
        # a true root (no parent id) first; else the earliest orphan
        self.root = min(self.roots, key=lambda s: (s.parent_span_id is not None, s.start_unix_nano))
        self.start_unix_nano = min(s.start_unix_nano for s in self.spans)
        self.end_unix_nano = max(s.end_unix_nano for s in self.spans)

    @property
    def duration_ms(self) -> float:
        return (self.end_unix_nano - self.start_unix_nano) / _NS_PER_MS

    def depth(self, span: Span) -> int:
        depth = 0
        while span.span_id in self.parent:
            span = self.parent[span.span_id]
            depth += 1
        return depth

    def self_ns(self, span: Span) -> int:
        """The span's duration less the time covered by its children (clipped to the span)."""
        covered = 0
        cursor = span.start_unix_nano
        for child in sorted(self.children[span.span_id], key=lambda c: c.start_unix_nano):
            start = max(child.start_unix_nano, cursor)
            end = min(child.end_unix_nano, span.end_unix_nano)
            if end > start:
                covered += end - start
                cursor = end
        return max(0, span.duration_ns - covered)

    def critical_path(self) -> list[tuple[Span, int]]:
        """The chain of spans that sets the end-to-end duration, with each one's share in ns.

        From the root's end backwards: the child that finishes last is on the path, then
        the last child to finish before that one started, and so on; a span's share is its
        time not covered by its critical children. Concurrent siblings that finish earlier
        are off the path.
        """
        path: list[tuple[Span, int]] = []
        stack: list[tuple[Span, int]] = [(self.root, self.root.end_unix_nano)]
        while stack:
            span, end = stack.pop()
            end = min(end, span.end_unix_nano)
            share = 0
            cursor = end
            children = self.children[span.span_id]
            while True:
                # children ending at or before the cursor: the latest one continues the path
                waiting = [
                    c
                    for c in children
                    if min(c.end_unix_nano, end) <= cursor and c.start_unix_nano < cursor
                ]
                if not waiting:
                    break
                child = max(waiting, key=lambda c: (min(c.end_unix_nano, end), c.start_unix_nano))
                child_end = min(child.end_unix_nano, end)
                share += cursor - child_end
                child_start = max(child.start_unix_nano, span.start_unix_nano)
                stack.append((child, child_end))
                cursor = child_start
            share += max(0, cursor - span.start_unix_nano)
            path.append((span, share))
        return path


@dataclass(frozen=True)
class RootCause:
    """A failing span whose failure no failing child explains.

    `propagated` says whether the failure reached the trace's root through failing
    ancestors (False for an error a retry or a fallback absorbed).
    """

    span: Span
    depth: int
    propagated: bool


@dataclass(frozen=True)
class PathSuspect:
    """A span on the critical path, with its self time against its operation's usual one."""

    span: Span
    self_ms: float
    critical_ms: float
    baseline: OperationBaseline | None

    @property
    def excess_ms(self) -> float:
        """Self time above the usual median (the whole self time when there is no baseline)."""
        usual = self.baseline.median_self_ms if self.baseline else 0.0
        return max(0.0, self.self_ms - usual)

    @property
    def ratio(self) -> float | None:
        """Self time over the usual p95 self time (None without a baseline)."""
        if self.baseline is None:
            return None
        return self.self_ms / max(self.baseline.p95_self_ms, 0.001)


@dataclass(frozen=True)
class TraceDiagnosis:
    """What went wrong in one trace: its root causes (errors) and its slow critical path."""

    trace_id: str
    root: Span
    duration_ms: float
    failed: bool
    slow: bool
    root_causes: list[RootCause]
    critical_path: list[PathSuspect]

    @property
    def culprit(self) -> Span | None:
        """The one span to blame: the first root cause, else the most excessive on the path."""
        if self.root_causes:
            return self.root_causes[0].span
        if self.slow and self.critical_path and self.critical_path[0].excess_ms > 0:
            return self.critical_path[0].span
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "root": _span_json(self.root),
            "duration_ms": round(self.duration_ms, 3),
            "failed": self.failed,
            "slow": self.slow,
            "culprit": _span_json(self.culprit) if self.culprit else None,
            "root_causes": [
                {**_span_json(c.span), "depth": c.depth, "propagated": c.propagated}
                for c in self.root_causes
            ],
            "critical_path": [
                {
                    **_span_json(p.span),
                    "self_ms": round(p.self_ms, 3),
                    "critical_ms": round(p.critical_ms, 3),
                    "excess_ms": round(p.excess_ms, 3),
                    "usual_median_self_ms": p.baseline.median_self_ms if p.baseline else None,
                    "usual_p95_self_ms": p.baseline.p95_self_ms if p.baseline else None,
                    "ratio": round(p.ratio, 3) if p.ratio is not None else None,
                }
                for p in self.critical_path
            ],
        }


def _span_json(span: Span) -> dict[str, Any]:
    return {
        "span_id": span.span_id,
        "service": span.service,
        "operation": operation_of(span),
        "duration_ms": round(span.duration_ms, 3),
        "error": span.is_error,
        "status_message": span.status_message,
    }


def _retried_successfully(tree: TraceTree, span: Span) -> bool:
    """A later sibling of the same operation succeeded: the caller retried and got through."""
    parent = tree.parent.get(span.span_id)
    if parent is None:
        return False
    key = component_of(span)
    return any(
        not sibling.is_error
        and sibling.start_unix_nano >= span.end_unix_nano
        and component_of(sibling) == key
        for sibling in tree.children[parent.span_id]
    )


def root_causes(tree: TraceTree) -> list[RootCause]:
    """Failing spans without a failing child: propagated ones first, deepest first, latest first.

    A failure is propagated when every ancestor up to the root failed too and no retry
    along the way succeeded.
    """
    found = []
    for span in tree.spans:
        if not span.is_error or any(c.is_error for c in tree.children[span.span_id]):
            continue
        propagated = True
        walker = span
        while propagated:
            if _retried_successfully(tree, walker):
                propagated = False
            parent = tree.parent.get(walker.span_id)
            if parent is None:
                break
            propagated = propagated and parent.is_error
            walker = parent
        found.append(RootCause(span, tree.depth(span), propagated))
    found.sort(key=lambda c: (not c.propagated, -c.depth, -c.span.end_unix_nano))
    return found


def rca_trace(
    spans: Sequence[Span], baseline: Baseline | None = None, slow_margin: float = 1.5
) -> TraceDiagnosis:
    """Diagnose one trace: error root causes, and the critical path ranked by excess self time.

    The trace is slow when its duration is above `slow_margin` * the baseline p95 of its
    root operation; without a baseline for it, it is never called slow.
    """
    return diagnose_tree(TraceTree(spans), baseline or Baseline(), slow_margin)


def diagnose_tree(tree: TraceTree, baseline: Baseline, slow_margin: float) -> TraceDiagnosis:
    """`rca_trace` on a tree already built."""
    causes = root_causes(tree)
    root_p95 = baseline.root_p95_ms.get(component_of(tree.root))
    slow = root_p95 is not None and tree.duration_ms > slow_margin * root_p95
    path = [
        PathSuspect(
            span,
            tree.self_ns(span) / _NS_PER_MS,
            share / _NS_PER_MS,
            baseline.operations.get(component_of(span)),
        )
        for span, share in tree.critical_path()
    ]
    path.sort(key=lambda p: (-p.excess_ms, -p.self_ms))
    return TraceDiagnosis(
        trace_id=tree.root.trace_id,
        root=tree.root,
        duration_ms=tree.duration_ms,
        failed=bool(causes) or slow,
        slow=slow,
        root_causes=causes,
        critical_path=path,
    )
