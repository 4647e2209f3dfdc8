"""Interlock's Chaos Toolkit probes: what the span store saw over the last seconds.

Error rate and latency of a service (its SERVER spans, optionally one operation) or of an
edge (the caller's CLIENT spans towards the callee, named by `peer.service` or by the child
span's service). The store is the experiment's configuration `interlock_data_dir` (SQLite)
or `interlock_database_url` (PostgreSQL).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interlock.errors import UserInputError

Configuration = dict[str, Any] | None
TRACE_LIMIT = 5000

__all__ = [
    "client_span_durations_ms",
    "edge_error_rate",
    "edge_latency_ms",
    "edge_latency_under_traffic_ms",
    "service_error_rate",
    "service_latency_ms",
]


@dataclass(frozen=True)
class Observed:
    """Spans' durations (ms) and whether each failed."""

    durations_ms: tuple[float, ...]
    failed: tuple[bool, ...]

    def quantile(self, q: float) -> float:
        ordered = sorted(self.durations_ms)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    @property
    def error_rate(self) -> float:
        return sum(self.failed) / len(self.failed)


def _failed(span: Any) -> bool:
    from interlock.telemetry import StatusCode

    status = span.attributes.get(
        "http.response.status_code", span.attributes.get("http.status_code")
    )
    return span.status_code == StatusCode.ERROR or (isinstance(status, int) and status >= 500)


def _observe(
    configuration: Configuration, service: str, window_s: float, keep: Any, what: str
) -> Observed:
    from interlock.telemetry import TraceQuery, open_store

    settings = configuration or {}
    data_dir = Path(str(settings.get("interlock_data_dir", ".interlock")))
    since = int((time.time() - window_s) * 1e9)
    spans: list[Any] = []
    with open_store(data_dir, str(settings.get("interlock_database_url", ""))) as store:
        store.flush(timeout=5)
        for trace in store.search(
            TraceQuery(service=service, start_unix_nano=since, limit=TRACE_LIMIT)
        ):
            trace_spans = store.get_trace(trace.trace_id)
            spans.extend(
                s for s in trace_spans if s.start_unix_nano >= since and keep(s, trace_spans)
            )
    if not spans:
        raise UserInputError(f"no spans of {what} in the last {window_s:g}s in {data_dir}")
    return Observed(
        tuple((s.end_unix_nano - s.start_unix_nano) / 1e6 for s in spans),
        tuple(_failed(s) for s in spans),
    )


def _server(
    configuration: Configuration, service: str, operation: str | None, window_s: float
) -> Observed:
    from interlock.telemetry import SpanKind

    def keep(span: Any, _: list[Any]) -> bool:
        return (
            span.service == service
            and span.kind == SpanKind.SERVER
            and (operation is None or span.name == operation)
        )

    what = f"{service}" + (f" {operation}" if operation else "")
    return _observe(configuration, service, window_s, keep, what)


def _edge(configuration: Configuration, caller: str, callee: str, window_s: float) -> Observed:
    from interlock.telemetry import SpanKind

    def keep(span: Any, trace: list[Any]) -> bool:
        if span.service != caller or span.kind != SpanKind.CLIENT:
            return False
        if span.attributes.get("peer.service") == callee:
            return True
        return any(s.parent_span_id == span.span_id and s.service == callee for s in trace)

    return _observe(configuration, caller, window_s, keep, f"{caller} calling {callee}")


def service_error_rate(
    service: str,
    operation: str | None = None,
    window_s: float = 60,
    configuration: Configuration = None,
) -> float:
    """Share (0-1) of the service's requests (SERVER spans) that failed in the window."""
    return _server(configuration, service, operation, window_s).error_rate


def service_latency_ms(
    service: str,
    operation: str | None = None,
    quantile: float = 0.95,
    window_s: float = 60,
    configuration: Configuration = None,
) -> float:
    """A quantile (0-1; 1 is the slowest) of the service's request durations in the window."""
    return _server(configuration, service, operation, window_s).quantile(quantile)


def edge_error_rate(
    caller: str, callee: str, window_s: float = 60, configuration: Configuration = None
) -> float:
    """Share (0-1) of the caller's calls to the callee that failed in the window."""
    return _edge(configuration, caller, callee, window_s).error_rate


def edge_latency_ms(
    caller: str,
    callee: str,
    quantile: float = 0.95,
    window_s: float = 60,
    configuration: Configuration = None,
) -> float:
    """A quantile (0-1; 1 is the slowest) of how long the caller waited on the callee."""
    return _edge(configuration, caller, callee, window_s).quantile(quantile)


def client_span_durations_ms(
    caller: str, callee: str, window_s: float = 60, configuration: Configuration = None
) -> list[float]:
    """Every wait of the caller on the callee in the window, in ms: the evidence of a verdict."""
    return sorted(_edge(configuration, caller, callee, window_s).durations_ms)


def edge_latency_under_traffic_ms(
    url: str,
    caller: str,
    callee: str,
    requests: int = 10,
    concurrency: int = 5,
    quantile: float = 1.0,
    wait_s: float = 15.0,
    configuration: Configuration = None,
) -> float:
    """Send `requests` to the caller at `url`, then read how long it waited on the callee in
    those requests' traces (a quantile; 1 is the slowest wait). The span store is polled until
    every request's client span has arrived, or `wait_s` has passed."""
    from interlock.chaos.actions import send_requests

    started = time.time()
    send_requests(url, requests, concurrency, configuration=configuration)
    deadline = time.monotonic() + wait_s
    while True:
        window = time.time() - started + 0.5
        try:
            observed = _edge(configuration, caller, callee, window)
        except UserInputError:
            if time.monotonic() > deadline:
                raise
        else:
            if len(observed.durations_ms) >= requests or time.monotonic() > deadline:
                return observed.quantile(quantile)
        time.sleep(0.2)
