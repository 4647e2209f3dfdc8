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
    "attempts_per_request",
    "calls_once_breaker_opens",
    "client_span_durations_ms",
    "edge_error_rate",
    "edge_latency_ms",
    "edge_latency_under_traffic_ms",
    "seconds_until_healthy",
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


def _caller_done(caller: str) -> Any:
    from interlock.chaos.trace_evidence import is_server_of

    return lambda spans: any(is_server_of(s, caller) for s in spans)


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
    those requests' traces (a quantile; 1 is the slowest wait).

    Each request starts a trace of ours (`traceparent`), so only these requests' spans count;
    a caller that does not continue incoming traces is read by time window instead."""
    from interlock.chaos.trace_evidence import is_client_to, read_traces, send_traced

    started = time.time()
    sent = send_traced(url, requests, concurrency)
    traces = read_traces(configuration, [r.trace_id for r in sent], _caller_done(caller), wait_s)
    waits = [
        (s.end_unix_nano - s.start_unix_nano) / 1e6
        for spans in traces.values()
        for s in spans
        if is_client_to(s, caller, callee, spans)
    ]
    if waits:
        return Observed(tuple(waits), (False,) * len(waits)).quantile(quantile)
    window = time.time() - started + 0.5
    return _edge(configuration, caller, callee, window).quantile(quantile)


def attempts_per_request(
    url: str,
    caller: str,
    callee: str,
    requests: int = 10,
    concurrency: int = 2,
    wait_s: float = 15.0,
    configuration: Configuration = None,
) -> int:
    """Send `requests` to the caller at `url`; the most calls it made to the callee while
    handling one of them (its CLIENT spans to the callee in that request's trace).

    Raises when no trace shows a call at all: no evidence is not a pass."""
    from interlock.chaos.trace_evidence import is_client_to, read_traces, send_traced

    sent = send_traced(url, requests, concurrency)
    traces = read_traces(configuration, [r.trace_id for r in sent], _caller_done(caller), wait_s)
    counts = [
        sum(1 for s in spans if is_client_to(s, caller, callee, spans))
        for spans in traces.values()
        if spans
    ]
    if not counts or not max(counts):
        raise UserInputError(
            f"no trace of {caller} calling {callee} for the {requests} requests sent to {url}: "
            f"does {caller} continue the incoming `traceparent` and export its spans?"
        )
    return max(counts)


def calls_once_breaker_opens(
    url: str,
    caller: str,
    callee: str,
    requests: int = 20,
    pause_s: float = 0.05,
    wait_s: float = 15.0,
    configuration: Configuration = None,
) -> dict[str, Any]:
    """Send `requests` to the caller one after another (its dependency is down); of the last
    half (by then a breaker has opened), the share whose trace still reaches the callee and
    the median time the caller took (its SERVER spans)."""
    from interlock.chaos.trace_evidence import is_client_to, is_server_of, read_traces, send_traced

    sent = send_traced(url, requests, 1, pause_s=pause_s)
    ids = [r.trace_id for r in sent]
    traces = read_traces(configuration, ids, _caller_done(caller), wait_s)
    late = [traces[i] for i in ids[len(ids) // 2 :] if traces[i]]
    if not late:
        raise UserInputError(
            f"no trace of {caller} for the requests sent to {url}: does it continue the "
            "incoming `traceparent` and export its spans?"
        )
    reaching = sum(
        1 for spans in late if any(is_client_to(s, caller, callee, spans) for s in spans)
    )
    durations = sorted(
        (s.end_unix_nano - s.start_unix_nano) / 1e6
        for spans in late
        for s in spans
        if is_server_of(s, caller)
    )
    return {
        "requests": requests,
        "observed": len(late),
        "reaching_callee": reaching / len(late),
        "caller_p50_ms": durations[len(durations) // 2] if durations else None,
        "statuses": sorted({r.status for r in sent}),
    }


def seconds_until_healthy(
    url: str, within_s: float = 10.0, every_s: float = 0.25, configuration: Configuration = None
) -> float:
    """Seconds until the caller at `url` answers below 500 again, polling every `every_s`;
    `within_s` + 1 when it never does (outside any tolerance up to `within_s`)."""
    from interlock.chaos.trace_evidence import send_traced

    started = time.monotonic()
    while time.monotonic() - started <= within_s:
        answer = send_traced(url, 1)[0]
        if answer.status.isdigit() and int(answer.status) < 500:
            return round(time.monotonic() - started, 3)
        time.sleep(every_s)
    return within_s + 1
