"""Figures kept as spans arrive: service-map edges, RED per operation, SQL fingerprints.

Pure bookkeeping in memory; the store drains the deltas into its tables in the write transaction.
"""

from __future__ import annotations

import bisect
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from interlock.telemetry.model import Span, SpanKind
from interlock.telemetry.sql_fingerprint import fingerprint_sql

LATENCY_BUCKETS_MS: tuple[float, ...] = (
    1,
    2,
    5,
    10,
    25,
    50,
    100,
    250,
    500,
    1000,
    2500,
    5000,
    10000,
)
"""Upper bounds of the latency histogram buckets; one more bucket counts everything above."""

_NS_PER_MINUTE = 60_000_000_000
_CALLER_KINDS = (SpanKind.CLIENT, SpanKind.PRODUCER)
_CALLEE_KINDS = (SpanKind.SERVER, SpanKind.CONSUMER)


def bucket_of(duration_ms: float) -> int:
    """The index of the histogram bucket that counts `duration_ms`."""
    return bisect.bisect_left(LATENCY_BUCKETS_MS, duration_ms)


def quantile_ms(histogram: Iterable[int], q: float) -> float:
    """An upper estimate of quantile `q` from a histogram (the bound of the bucket it falls in)."""
    counts = list(histogram)
    total = sum(counts)
    if total == 0:
        return 0.0
    rank = q * total
    seen = 0
    for index, count in enumerate(counts):
        seen += count
        if seen >= rank:
            return LATENCY_BUCKETS_MS[min(index, len(LATENCY_BUCKETS_MS) - 1)]
    return LATENCY_BUCKETS_MS[-1]


def _first(attributes: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = attributes.get(key)
        if value not in (None, ""):
            return str(value)
    return None


def database_call(span: Span) -> tuple[str, str] | None:
    """`(database name, db system)` when `span` is a call to a database, old or new semconv."""
    a = span.attributes
    system = _first(a, "db.system.name", "db.system")
    if system is None:
        return None
    name = _first(a, "peer.service", "db.namespace", "db.name", "server.address", "net.peer.name")
    return (name or system), system


def queue_call(span: Span) -> str | None:
    """The queue or topic a PRODUCER/CONSUMER talks to, when the span names one."""
    a = span.attributes
    system = _first(a, "messaging.system")
    if system is None:
        return None
    return (
        _first(a, "peer.service", "messaging.destination.name", "messaging.destination") or system
    )


def peer_name(span: Span) -> str | None:
    """The callee named by the caller, for callees that send no spans of their own."""
    return _first(span.attributes, "peer.service", "server.address", "net.peer.name", "http.host")


@dataclass
class Counts:
    """Calls, errors, total time and a latency histogram, merged by addition."""

    calls: int = 0
    errors: int = 0
    total_ms: float = 0.0
    histogram: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS_MS) + 1))

    def add(self, duration_ms: float, error: bool) -> None:
        self.calls += 1
        self.errors += int(error)
        self.total_ms += duration_ms
        self.histogram[bucket_of(duration_ms)] += 1


@dataclass
class FingerprintCount:
    """How often one service ran one normalized statement in this batch."""

    db_system: str
    database: str
    normalized: str
    count: int = 0
    first_seen: int = 0
    last_seen: int = 0


@dataclass
class AggregateDelta:
    """What changed since the last drain, to be added to the stored figures."""

    edges: dict[tuple[str, str, str, int], Counts] = field(default_factory=dict)
    operations: dict[tuple[str, str, int], Counts] = field(default_factory=dict)
    fingerprints: dict[tuple[str, str], FingerprintCount] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.edges or self.operations or self.fingerprints)


@dataclass(frozen=True, slots=True)
class _Call:
    """A CLIENT/PRODUCER span still waiting for the SERVER/CONSUMER span it caused."""

    service: str
    minute: int
    duration_ms: float
    error: bool
    peer: str | None  # small, so that many waiting calls stay cheap to hold
    peer_kind: str
    seen_at: float


class Aggregator:
    """Turns spans into aggregate deltas, pairing caller and callee spans across batches."""

    def __init__(self, horizon_s: float = 30.0, memory: int = 200_000) -> None:
        self.horizon_s = horizon_s
        self._memory = memory
        self._open: OrderedDict[str, _Call] = OrderedDict()  # caller span id -> call
        self._orphans: OrderedDict[str, tuple[str, bool, float]] = (
            OrderedDict()
        )  # parent id -> callee
        self._delta = AggregateDelta()

    def _edge(
        self, caller: str, callee: str, kind: str, minute: int, ms: float, error: bool
    ) -> None:
        key = (caller, callee, kind, minute)
        counts = self._delta.edges.get(key)
        if counts is None:
            counts = self._delta.edges[key] = Counts()
        counts.add(ms, error)

    def add(self, spans: Iterable[Span], now: float | None = None) -> None:
        """Count `spans` (every span, sampled or not)."""
        now = time.monotonic() if now is None else now
        for span in spans:
            minute = span.start_unix_nano // _NS_PER_MINUTE * 60
            ms = span.duration_ms
            error = span.is_error
            key = (span.service, span.name, minute)
            counts = self._delta.operations.get(key)
            if counts is None:
                counts = self._delta.operations[key] = Counts()
            counts.add(ms, error)
            attributes = span.attributes
            if "db.statement" in attributes or "db.query.text" in attributes:
                self._fingerprint(span)
            if span.kind in _CALLER_KINDS:
                self._caller(span, minute, ms, error, now)
            elif span.kind in _CALLEE_KINDS and span.parent_span_id:
                self._callee(span, now)
        self.expire(now)

    def _fingerprint(self, span: Span) -> None:
        sql = _first(span.attributes, "db.query.text", "db.statement")
        if sql is None:
            return
        db = database_call(span)
        database, system = db if db else ("", "")
        fingerprint, normalized = fingerprint_sql(sql)
        entry = self._delta.fingerprints.get((span.service, fingerprint))
        if entry is None:
            entry = FingerprintCount(system, database, normalized, 0, span.start_unix_nano, 0)
            self._delta.fingerprints[(span.service, fingerprint)] = entry
        entry.count += 1
        entry.first_seen = min(entry.first_seen, span.start_unix_nano)
        entry.last_seen = max(entry.last_seen, span.start_unix_nano)

    def _caller(self, span: Span, minute: int, ms: float, error: bool, now: float) -> None:
        a = span.attributes
        is_db = span.kind == SpanKind.CLIENT and ("db.system" in a or "db.system.name" in a)
        database = database_call(span) if is_db else None
        if database is not None:  # databases send no spans: the edge is known right away
            self._edge(span.service, database[0], "database", minute, ms, error)
            return
        callee = self._orphans.pop(span.span_id, None)
        if callee is not None:
            if callee[0] != span.service:
                self._edge(span.service, callee[0], "service", minute, ms, error or callee[1])
            return
        queue = queue_call(span) if "messaging.system" in a else None
        peer, kind = (queue, "queue") if queue else (peer_name(span), "service")
        self._open[span.span_id] = _Call(span.service, minute, ms, error, peer, kind, now)

    def _callee(self, span: Span, now: float) -> None:
        parent_id = span.parent_span_id
        assert parent_id is not None
        call = self._open.pop(parent_id, None)
        if call is None:
            self._orphans[parent_id] = (span.service, span.is_error, now)
            return
        if call.service != span.service:
            error = call.error or span.is_error
            self._edge(call.service, span.service, "service", call.minute, call.duration_ms, error)

    def expire(self, now: float | None = None, everything: bool = False) -> None:
        """Settle the calls whose callee never reported: to the peer they name, if any."""
        limit = (time.monotonic() if now is None else now) - self.horizon_s
        while self._open:
            span_id, call = next(iter(self._open.items()))
            if not everything and call.seen_at > limit and len(self._open) <= self._memory:
                break
            del self._open[span_id]
            if call.peer:
                self._edge(
                    call.service,
                    call.peer,
                    call.peer_kind,
                    call.minute,
                    call.duration_ms,
                    call.error,
                )
        while self._orphans:
            parent_id, (_, _, seen_at) = next(iter(self._orphans.items()))
            if not everything and seen_at > limit and len(self._orphans) <= self._memory:
                break
            del self._orphans[parent_id]

    def drain(self) -> AggregateDelta:
        """The deltas gathered since the last drain; the aggregator starts a fresh one."""
        delta, self._delta = self._delta, AggregateDelta()
        return delta
