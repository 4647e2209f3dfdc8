"""What root-cause analysis reads from a span store: a bounded share of each window's traces.

Both sides of a comparison are read with the same share, so that counts (calls served, log
templates) compare by the windows' lengths alone; failing traces are always read whole.
"""

from __future__ import annotations

from collections.abc import Sequence

from interlock.telemetry.model import LogRecord, Span
from interlock.telemetry.stores.interface import SpanStore, WindowTraces

MAX_TRACES = 1000
"""About this many traces are read from the fuller side of a comparison (a share of each)."""
MAX_LOGS = 200_000
SPANS_PER_TRACE = 12
"""What a trace is taken to hold when sizing a share from a count of spans (a generous mean)."""


def share_for(span_counts: Sequence[int], traces: int) -> float:
    """The share of trace ids that reads about `traces` traces from the fullest window."""
    spans = max(span_counts, default=0)
    return min(1.0, traces * SPANS_PER_TRACE / spans) if spans else 1.0


def _touching(traces: list[list[Span]], service: str | None) -> list[list[Span]]:
    if service is None:
        return traces
    return [t for t in traces if any(s.service == service for s in t)]


def read_window(
    store: SpanStore, start: int, end: int, share: float, service: str | None = None
) -> WindowTraces:
    """The window's traces in `share` (touching `service`, when given) and its failing ones."""
    found = store.traces_in_window(start, end, share)
    return WindowTraces(
        _touching(found.traces, service), _touching(found.failing, service), found.share
    )


def traces_between(
    store: SpanStore,
    start_unix_nano: int,
    end_unix_nano: int,
    service: str | None = None,
    limit: int = MAX_TRACES,
) -> list[list[Span]]:
    """About `limit` traces (at most) that start in the window, a share of them by trace id."""
    share = share_for([store.span_count(start_unix_nano, end_unix_nano)], limit)
    return read_window(store, start_unix_nano, end_unix_nano, share, service).traces[:limit]


def logs_between(store: SpanStore, start: int, end: int, share: float = 1.0) -> list[LogRecord]:
    """The window's log records in `share`, with or without a trace, and every warning."""
    return store.logs_in_window(start, end, share, MAX_LOGS)
