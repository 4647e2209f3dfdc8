"""Why a run is slower: the self time of each kind of span in the run's traces.

When the service under test exports its spans (to the environment's collector, or to the
Interlock server whose data directory the runs go to), each run keeps a profile: per span
kind (service, name, and the normalized SQL of a database span), how many there were, their
total self time (duration minus the time covered by their children) and the traces where it
was largest. `perf check` compares the profiles of baseline and current runs and names the
spans whose self time per request grew.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROFILE_TRACES = 2000
"""Traces read per run: enough for a stable mean, bounded for long runs."""
EXAMPLES = 3
MIN_GROWTH = 0.20
"""A span's self time per request must grow by this share, and by `MIN_GROWTH_MS`, to be named."""
MIN_GROWTH_MS = 0.5


def span_key(span: Any) -> str:
    """`orders: POST /orders`; a call to another service `orders → payments: POST`; a
    database span with its statement `orders: SELECT id, name, price FROM products WHERE id = $1`."""
    from interlock.telemetry import fingerprint_sql

    statement = span.attributes.get("db.query.text") or span.attributes.get("db.statement")
    if isinstance(statement, str) and statement.strip():
        normalized = fingerprint_sql(statement)[1]
        return f"{span.service}: {normalized[:120]}"
    peer = span.attributes.get("peer.service")
    if isinstance(peer, str) and peer:
        return f"{span.service} → {peer}: {span.name}"
    return f"{span.service}: {span.name}"


def self_time_ns(span: Any, children: list[Any]) -> int:
    """The span's duration less the union of its children's intervals (clipped to it)."""
    intervals = sorted(
        (max(c.start_unix_nano, span.start_unix_nano), min(c.end_unix_nano, span.end_unix_nano))
        for c in children
    )
    covered = 0
    reach: int = span.start_unix_nano
    for start, end in intervals:
        start = max(start, reach)
        if end > start:
            covered += end - start
            reach = end
    own: int = span.end_unix_nano - span.start_unix_nano - covered
    return max(0, own)


def profile_traces(traces: dict[str, list[Any]]) -> dict[str, Any]:
    """`{"requests": N, "spans": {key: {"count", "self_ms", "examples"}}}` over these traces."""
    spans: dict[str, dict[str, Any]] = {}
    worst: dict[str, list[tuple[float, str]]] = {}
    for trace_id, trace in traces.items():
        children: dict[str, list[Any]] = {}
        for s in trace:
            if s.parent_span_id:
                children.setdefault(s.parent_span_id, []).append(s)
        for s in trace:
            key = span_key(s)
            own_ms = self_time_ns(s, children.get(s.span_id, [])) / 1e6
            entry = spans.setdefault(key, {"count": 0, "self_ms": 0.0})
            entry["count"] += 1
            entry["self_ms"] += own_ms
            worst.setdefault(key, []).append((own_ms, trace_id))
    for key, entry in spans.items():
        slowest = sorted(worst[key], reverse=True)[:EXAMPLES]
        entry["examples"] = list(dict.fromkeys(trace_id for _, trace_id in slowest))
    return {"requests": len(traces), "spans": spans}


def read_profile(
    data_dir: Path, database_url: str, service: str, start_ns: int, end_ns: int
) -> dict[str, Any]:
    """The profile of `service`'s traces that started in the window; empty when none."""
    from interlock.telemetry import TraceQuery, open_store

    with open_store(data_dir, database_url) as store:
        store.flush(timeout=5)
        found = store.search(
            TraceQuery(
                service=service,
                start_unix_nano=start_ns,
                end_unix_nano=end_ns,
                limit=PROFILE_TRACES,
            )
        )
        traces = {t.trace_id: store.get_trace(t.trace_id) for t in found}
    return profile_traces(traces) if traces else {}


def wait_for_spans(
    data_dir: Path, database_url: str, service: str, start_ns: int, settle_s: float = 8.0
) -> None:
    """Wait until the service's traces since `start_ns` stop arriving (exporters batch their
    spans for a few seconds), at most `settle_s`; a service with no trace at all after 3 s
    is taken not to export here."""
    from interlock.telemetry import TraceQuery, open_store

    begun = time.monotonic()
    previous = -1
    with open_store(data_dir, database_url) as store:
        while time.monotonic() - begun < settle_s:
            store.flush(timeout=5)
            query = TraceQuery(service=service, start_unix_nano=start_ns, limit=PROFILE_TRACES)
            count = len(store.search(query))
            if count == previous and (count > 0 or time.monotonic() - begun > 3.0):
                return
            previous = count
            time.sleep(1.0)


@dataclass(frozen=True)
class SpanChange:
    """One kind of span whose self time per request changed between baseline and current runs."""

    span: str
    baseline_ms: float
    current_ms: float
    examples: tuple[str, ...]

    @property
    def change(self) -> float:
        return self.current_ms / self.baseline_ms - 1 if self.baseline_ms > 0 else float("inf")

    @property
    def message(self) -> str:
        """`orders: SELECT … FROM products +40% (2.1 → 2.9 ms per request)`."""
        grown = "new" if self.baseline_ms <= 0 else f"{self.change * 100:+.0f}%"
        return (
            f"{self.span} {grown} ({self.baseline_ms:.1f} → {self.current_ms:.1f} ms per request)"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "span": self.span,
            "baseline_ms_per_request": self.baseline_ms,
            "current_ms_per_request": self.current_ms,
            "change": None if self.baseline_ms <= 0 else self.change,
            "example_traces": list(self.examples),
            "message": self.message,
        }


def _per_request(profiles: list[dict[str, Any]]) -> dict[str, float]:
    """Mean over runs of each span kind's self time per request."""
    totals: dict[str, float] = {}
    for profile in profiles:
        requests = max(1, int(profile.get("requests", 0)))
        for key, entry in profile.get("spans", {}).items():
            totals[key] = totals.get(key, 0.0) + float(entry["self_ms"]) / requests
    return {key: total / len(profiles) for key, total in totals.items()}


def span_changes(
    baseline: list[dict[str, Any]], current: list[dict[str, Any]], limit: int = 5
) -> list[SpanChange]:
    """The span kinds whose self time per request grew the most (by at least 20% and 0.5 ms),
    with the current runs' slowest traces of each as examples."""
    baseline = [p for p in baseline if p.get("spans")]
    current = [p for p in current if p.get("spans")]
    if not baseline or not current:
        return []
    before, after = _per_request(baseline), _per_request(current)
    grown = []
    for key, now in after.items():
        was = before.get(key, 0.0)
        if now - was >= MIN_GROWTH_MS and (was <= 0 or now / was - 1 >= MIN_GROWTH):
            examples = [t for p in current for t in p["spans"].get(key, {}).get("examples", [])]
            grown.append(SpanChange(key, was, now, tuple(examples[:EXAMPLES])))
    grown.sort(key=lambda c: c.current_ms - c.baseline_ms, reverse=True)
    return grown[:limit]
