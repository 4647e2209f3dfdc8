"""Figures kept as spans arrive: service-map edges, RED per operation, SQL fingerprints.

Pure bookkeeping in memory; the store drains the deltas into its tables in the write transaction.
"""

from __future__ import annotations

import bisect
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from interlock.telemetry.intake.op_names import stable_name
from interlock.telemetry.intake.sql_fingerprint import fingerprint_sql
from interlock.telemetry.model import Span
from interlock.telemetry.stores.row_codec import SpanRow

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
K = TypeVar("K")


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
        if value is not None and value != "":
            return str(value)
    return None


def database_call(span: Span) -> tuple[str, str] | None:
    """`(database name, db system)` when `span` is a call to a database, old or new semconv."""
    return _database(span.attributes)


def _database(a: Mapping[str, Any]) -> tuple[str, str] | None:
    system = _first(a, "db.system.name", "db.system")
    if system is None:
        return None
    name = _first(a, "peer.service", "db.namespace", "db.name", "server.address", "net.peer.name")
    return (name or system), system


def queue_call(span: Span) -> str | None:
    """The queue or topic a PRODUCER/CONSUMER talks to, when the span names one."""
    return _queue(span.attributes)


def _queue(a: Mapping[str, Any]) -> str | None:
    system = _first(a, "messaging.system")
    if system is None:
        return None
    return (
        _first(a, "peer.service", "messaging.destination.name", "messaging.destination") or system
    )


def peer_name(span: Span) -> str | None:
    """The callee named by the caller, for callees that send no spans of their own."""
    return _peer(span.attributes)


def _peer(a: Mapping[str, Any]) -> str | None:
    return _first(a, "peer.service", "server.address", "net.peer.name", "http.host")


SpanKeys = tuple[str, tuple[str, str, str, str] | None, str | None, str | None, str]
"""What the aggregates need of a span's name and attributes: its operation name, its SQL as
`(fingerprint, normalized, database, db system)` or None, the database a CLIENT span calls or
None, and the peer a call names (or None) with that peer's kind (`service` or `queue`)."""
SpanRecord = tuple[SpanRow, SpanKeys]
"""A span as the writer process counts it: its row, and its keys computed where it was decoded."""


def span_keys(name: str, kind: int, a: Mapping[str, Any]) -> SpanKeys:
    """The aggregate keys of one span; the regexes and the SQL parsing of ingest happen here.

    The intake computes them while the attributes are still a dict, so that a writer process
    counts rows without reading their JSON back.
    """
    sql = called = peer = None
    is_db = "db.system" in a or "db.system.name" in a
    db = _database(a) if is_db else None
    if "db.statement" in a or "db.query.text" in a:
        text = _first(a, "db.query.text", "db.statement")
        if text is not None:
            database, system = db if db else ("", "")
            fingerprint, normalized = fingerprint_sql(text)
            sql = (fingerprint, normalized, database, system)
    peer_kind = "service"
    if kind == 3 or kind == 4:  # CLIENT, PRODUCER
        if kind == 3 and db is not None:
            called = db[0]
        if called is None:
            queue = _queue(a) if "messaging.system" in a else None
            peer, peer_kind = (queue, "queue") if queue else (_peer(a), "service")
    return stable_name(name, a), sql, called, peer, peer_kind


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

    def merge(self, other: Counts) -> None:
        self.calls += other.calls
        self.errors += other.errors
        self.total_ms += other.total_ms
        self.histogram = [a + b for a, b in zip(self.histogram, other.histogram, strict=True)]


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

    def merge(self, other: AggregateDelta) -> None:
        """Add `other` into this delta, taking its entries over (a writer merges many requests')."""
        _merge_counts(self.edges, other.edges)
        _merge_counts(self.operations, other.operations)
        for fp_key, entry in other.fingerprints.items():
            known = self.fingerprints.get(fp_key)
            if known is None:
                self.fingerprints[fp_key] = entry
            else:
                known.count += entry.count
                known.first_seen = min(known.first_seen, entry.first_seen)
                known.last_seen = max(known.last_seen, entry.last_seen)


def _merge_counts(mine: dict[K, Counts], theirs: dict[K, Counts]) -> None:
    for key, counts in theirs.items():
        current = mine.get(key)
        if current is None:
            mine[key] = counts
        else:
            current.merge(counts)


@dataclass(slots=True)  # not frozen: frozen dataclasses are slower to build, one per call
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
        count = self._count
        for s in spans:
            count(
                s.service, s.start_unix_nano, s.end_unix_nano, s.status_code == 2, s.kind,
                s.span_id, s.parent_span_id, span_keys(s.name, s.kind, s.attributes), now,
            )  # fmt: skip
        self.expire(now)

    def add_records(self, records: Iterable[SpanRecord], now: float | None = None) -> None:
        """Count spans given as `(row, keys)` records (`span_keys` computed at decoding)."""
        now = time.monotonic() if now is None else now
        count = self._count
        for row, keys in records:
            # row columns: 1 span_id, 2 parent, 3 service, 5 kind, 6 start, 7 end, 9 status
            count(row[3], row[6], row[7], row[9] == 2, row[5], row[1], row[2], keys, now)
        self.expire(now)

    def _count(
        self,
        service: str,
        start: int,
        end: int,
        error: bool,
        kind: int,
        span_id: str,
        parent_id: str | None,
        keys: SpanKeys,
        now: float,
    ) -> None:
        minute = start // _NS_PER_MINUTE * 60
        ms = (end - start) / 1_000_000 if end > start else 0.0
        operation, sql, called, peer, peer_kind = keys
        # a span without a route counts under method + templated path, never one name per id
        key = (service, operation, minute)
        counts = self._delta.operations.get(key)
        if counts is None:
            counts = self._delta.operations[key] = Counts()
        counts.add(ms, error)
        if sql is not None:
            self._fingerprint(service, start, sql)
        if kind == 3 or kind == 4:  # CLIENT, PRODUCER
            self._caller(service, span_id, called, peer, peer_kind, minute, ms, error, now)
        elif (kind == 2 or kind == 5) and parent_id:  # SERVER, CONSUMER
            self._callee(service, parent_id, error, now)

    def _fingerprint(self, service: str, start: int, sql: tuple[str, str, str, str]) -> None:
        fingerprint, normalized, database, system = sql
        entry = self._delta.fingerprints.get((service, fingerprint))
        if entry is None:
            entry = FingerprintCount(system, database, normalized, 0, start, 0)
            self._delta.fingerprints[(service, fingerprint)] = entry
        entry.count += 1
        entry.first_seen = min(entry.first_seen, start)
        entry.last_seen = max(entry.last_seen, start)

    def _caller(
        self,
        service: str,
        span_id: str,
        called: str | None,
        peer: str | None,
        peer_kind: str,
        minute: int,
        ms: float,
        error: bool,
        now: float,
    ) -> None:
        if called is not None:  # databases send no spans: the edge is known right away
            self._edge(service, called, "database", minute, ms, error)
            return
        callee = self._orphans.pop(span_id, None)
        if callee is not None:
            if callee[0] != service:
                self._edge(service, callee[0], "service", minute, ms, error or callee[1])
            return
        self._open[span_id] = _Call(service, minute, ms, error, peer, peer_kind, now)

    def _callee(self, service: str, parent_id: str, error: bool, now: float) -> None:
        call = self._open.pop(parent_id, None)
        if call is None:
            self._orphans[parent_id] = (service, error, now)
            return
        if call.service != service:
            error = call.error or error
            self._edge(call.service, service, "service", call.minute, call.duration_ms, error)

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
