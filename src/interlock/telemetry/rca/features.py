"""What RCA measures in traces: self time per operation, the gap on each call, calls, errors.

A CLIENT span's time not covered by its SERVER span is the call's gap ("before the callee's
handler: network or queueing"), kept apart from the caller's self time; a callee that sends no
spans (a database, a third party) is represented by the client span's whole duration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from interlock.telemetry.intake.aggregates import database_call, peer_name
from interlock.telemetry.intake.op_names import stable_name
from interlock.telemetry.model import Span, SpanKind
from interlock.telemetry.rca.trace import TraceTree, root_causes

FeatureKey = tuple[str, str, str]
"""`("self", service, operation)`, `("gap", caller, callee)` or `("call", caller, callee)`."""

_NS_PER_MS = 1_000_000
_CALLS = (SpanKind.CLIENT, SpanKind.PRODUCER)
_SERVES = (SpanKind.SERVER, SpanKind.CONSUMER)


def operation_name(span: Span) -> str:
    """The span's stable operation name (method + route or templated path for HTTP spans)."""
    return stable_name(span.name, span.attributes)


def named_callee(span: Span) -> str | None:
    """The callee a CLIENT span names: the database it queries, else its peer."""
    database = database_call(span)
    if database is not None:
        return database[0]
    return peer_name(span)


@dataclass
class Observations:
    """Everything RCA counts over one side (baseline or window) of the comparison."""

    traces: int = 0
    values: dict[FeatureKey, list[float]] = field(default_factory=dict)
    # the window's values per feature with their trace ids, largest first (examples, counts)
    tops: dict[FeatureKey, list[tuple[float, str]]] = field(default_factory=dict)
    serves: dict[tuple[str, str], int] = field(default_factory=dict)  # (service, operation)
    unanswered: dict[tuple[str, str], int] = field(default_factory=dict)  # (caller, callee)
    calls: dict[tuple[str, str], int] = field(default_factory=dict)  # (caller, callee)
    errors: dict[str, int] = field(default_factory=dict)  # suspect -> traces it is root cause in
    error_examples: dict[str, list[str]] = field(default_factory=dict)  # every trace
    error_operations: dict[str, dict[str, int]] = field(default_factory=dict)
    error_traces: int = 0
    services: set[str] = field(default_factory=set)
    trace_services: dict[str, set[str]] = field(default_factory=dict)

    def add_value(self, key: FeatureKey, value: float, trace_id: str, keep_tops: bool) -> None:
        self.values.setdefault(key, []).append(value)
        if keep_tops:
            tops = self.tops.setdefault(key, [])
            tops.append((value, trace_id))

    def sort(self) -> None:
        for values in self.values.values():
            values.sort()
        for tops in self.tops.values():
            tops.sort(reverse=True)


def _callee_of(
    span: Span, tree: TraceTree, known: Mapping[tuple[str, str], str]
) -> tuple[str | None, Span | None]:
    """(callee, its serving span) of a CLIENT span: the child SERVER span, else what it names."""
    for child in tree.children[span.span_id]:
        if child.kind in _SERVES and child.service != span.service:
            return child.service, child
    named = named_callee(span)
    if named is not None:
        return named, None
    return known.get((span.service, operation_name(span))), None


def observe(
    traces: Iterable[Sequence[Span]],
    known_callees: Mapping[tuple[str, str], str] | None = None,
    keep_tops: bool = False,
) -> tuple[Observations, dict[tuple[str, str], str]]:
    """Count `traces`; also returns which callee each `(caller, client operation)` reached.

    `known_callees` (learned from the baseline) names the callee of a client span that neither
    reached a SERVER span nor names its peer.
    """
    known = dict(known_callees or {})
    learned: dict[tuple[str, str], str] = {}
    seen = Observations()
    for spans in traces:
        if not spans:
            continue
        tree = TraceTree(spans)
        trace_id = tree.root.trace_id
        seen.traces += 1
        services = seen.trace_services.setdefault(trace_id, set())
        for span in tree.spans:
            services.add(span.service)
            seen.services.add(span.service)
            if span.kind in _CALLS:
                callee, served = _callee_of(span, tree, known)
                if callee is None:
                    continue
                learned.setdefault((span.service, operation_name(span)), callee)
                pair = (span.service, callee)
                seen.calls[pair] = seen.calls.get(pair, 0) + 1
                if served is not None:
                    gap = max(0, span.duration_ns - served.duration_ns) / _NS_PER_MS
                    seen.add_value(("gap", span.service, callee), gap, trace_id, keep_tops)
                else:
                    seen.unanswered[pair] = seen.unanswered.get(pair, 0) + 1
                    ms = span.duration_ms
                    seen.add_value(("call", span.service, callee), ms, trace_id, keep_tops)
                continue
            operation = operation_name(span)
            if span.kind in _SERVES:
                op_key = (span.service, operation)
                seen.serves[op_key] = seen.serves.get(op_key, 0) + 1
            self_ms = tree.self_ns(span) / _NS_PER_MS
            seen.add_value(("self", span.service, operation), self_ms, trace_id, keep_tops)
        if any(s.is_error for s in tree.spans):
            seen.error_traces += 1
            blamed: set[str] = set()
            for cause in root_causes(tree):
                span = cause.span
                suspect: str | None = span.service
                if span.kind in _CALLS:
                    callee, served = _callee_of(span, tree, known)
                    suspect = callee if served is None and callee else span.service
                if suspect is not None and suspect not in blamed:
                    blamed.add(suspect)
                    _count_error(seen, suspect, span, trace_id)
    seen.sort()
    return seen, learned


def _count_error(seen: Observations, suspect: str, span: Span, trace_id: str) -> None:
    seen.errors[suspect] = seen.errors.get(suspect, 0) + 1
    seen.error_examples.setdefault(suspect, []).append(trace_id)
    operation = operation_name(span) if suspect == span.service else ""
    counts = seen.error_operations.setdefault(suspect, {})
    counts[operation] = counts.get(operation, 0) + 1


def merge_errors(into: Observations, other: Observations) -> None:
    """Add `other`'s error counts (failing traces read apart from a share) to `into`."""
    into.error_traces += other.error_traces
    for suspect, count in other.errors.items():
        into.errors[suspect] = into.errors.get(suspect, 0) + count
        into.error_examples.setdefault(suspect, []).extend(other.error_examples.get(suspect, []))
        counts = into.error_operations.setdefault(suspect, {})
        for operation, n in other.error_operations.get(suspect, {}).items():
            counts[operation] = counts.get(operation, 0) + n
