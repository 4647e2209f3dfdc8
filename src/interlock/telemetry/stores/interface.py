"""The narrow interface every span store offers, and the shapes its queries return.

SQLite is the default (`sqlite.py`); a PostgreSQL or column store plugs in behind the same protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from interlock.telemetry.model import LogRecord, Span, StatusCode


@dataclass(frozen=True)
class AttributeFilter:
    """`key=value` (exact) or `key~value` (substring) on span or resource attributes."""

    key: str
    value: str
    substring: bool = False

    @classmethod
    def parse(cls, text: str) -> AttributeFilter:
        """Read `key=value` or `key~value`; ValueError when neither separator is there."""
        for separator, substring in (("=", False), ("~", True)):
            key, found, value = text.partition(separator)
            if found and key:
                return cls(key.strip(), value, substring)
        raise ValueError(f"{text!r}: expected key=value or key~value")


@dataclass(frozen=True)
class TraceQuery:
    """What to look for; every field is optional and all given fields must hold for one span."""

    service: str | None = None
    operation: str | None = None
    attributes: tuple[AttributeFilter, ...] = ()
    min_duration_ms: float | None = None
    max_duration_ms: float | None = None
    status: StatusCode | None = None
    start_unix_nano: int | None = None
    end_unix_nano: int | None = None
    limit: int = 20


@dataclass(frozen=True)
class TraceSummary:
    """One trace found by a search: its root, its extent, its size and whether it failed."""

    trace_id: str
    root_service: str
    root_name: str
    start_unix_nano: int
    duration_ms: float
    span_count: int
    error_count: int
    services: tuple[str, ...] = ()


@dataclass(frozen=True)
class EdgeStats:
    """Observed calls from one caller to one callee during one minute (or a merged window)."""

    caller: str
    callee: str
    callee_kind: str  # service | database | queue
    minute_unix: int
    calls: int
    errors: int
    histogram: tuple[int, ...]  # counts per `LATENCY_BUCKETS_MS` bucket, last is overflow


@dataclass(frozen=True)
class OperationStats:
    """RED figures for one service and operation during one minute."""

    service: str
    operation: str
    minute_unix: int
    calls: int
    errors: int
    total_ms: float
    histogram: tuple[int, ...]


@dataclass(frozen=True)
class QueryFingerprint:
    """A normalized SQL statement a service runs, with how often it was seen."""

    service: str
    db_system: str
    database: str
    fingerprint: str
    normalized: str
    count: int
    first_seen_unix_nano: int
    last_seen_unix_nano: int


@dataclass(frozen=True)
class WindowTraces:
    """The traces whose first span starts in a window, as root-cause analysis reads them.

    `traces` are those whose id falls in the sampled `share` of the id space (all when 1.0);
    `failing` are traces outside that share with an error span in the window, read whole so
    that errors are counted completely. Their spans carry no resource and no events.
    """

    traces: list[list[Span]]
    failing: list[list[Span]] = field(default_factory=list)
    share: float = 1.0


@dataclass
class StoreCounters:
    """What a store has taken in since it opened: for health pages and benchmarks."""

    spans_received: int = 0
    spans_stored: int = 0
    logs_stored: int = 0
    refused_batches: int = 0
    extra: dict[str, int] = field(default_factory=dict)


class SpanStore(Protocol):
    """Where spans and logs go: `offer_*` never blocks and says False when the queue is full."""

    def has_room(self) -> bool: ...

    def offer_spans(self, spans: Sequence[Span]) -> bool: ...

    def offer_logs(self, logs: Sequence[LogRecord]) -> bool: ...

    def flush(self, timeout: float | None = None) -> bool: ...

    def close(self) -> None: ...

    def get_trace(self, trace_id: str) -> list[Span]: ...

    def search(self, query: TraceQuery) -> list[TraceSummary]: ...

    def logs_for_trace(self, trace_id: str) -> list[LogRecord]: ...

    def edges(
        self, start_unix_nano: int | None = None, end_unix_nano: int | None = None
    ) -> list[EdgeStats]: ...

    def operations(
        self,
        service: str | None = None,
        start_unix_nano: int | None = None,
        end_unix_nano: int | None = None,
    ) -> list[OperationStats]: ...

    def query_fingerprints(self, service: str | None = None) -> list[QueryFingerprint]: ...

    def span_count(self, start_unix_nano: int, end_unix_nano: int) -> int: ...

    def traces_in_window(
        self, start_unix_nano: int, end_unix_nano: int, share: float = 1.0
    ) -> WindowTraces: ...

    def logs_in_window(
        self, start_unix_nano: int, end_unix_nano: int, share: float = 1.0, limit: int = 200_000
    ) -> list[LogRecord]: ...

    @property
    def counters(self) -> StoreCounters: ...
