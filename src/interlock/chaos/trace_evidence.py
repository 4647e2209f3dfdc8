"""Traffic whose traces are known: each request carries a `traceparent` with a trace id of
ours, so an experiment reads back exactly the traces of its own requests from the span store.

A service under test may be sharing its span store with other traffic (the demo's, a team's
staging load); filtering by time alone would mix those calls into the verdict.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

Configuration = dict[str, Any] | None


@dataclass(frozen=True)
class SentRequest:
    """One request sent to the caller: its trace id, the answer's status, how long it took."""

    trace_id: str
    status: str
    elapsed_ms: float
    sent_at: float


def traceparent(trace_id: str) -> str:
    """A W3C `traceparent` header for a new, sampled trace with this id."""
    return f"00-{trace_id}-{secrets.token_hex(8)}-01"


def send_traced(
    url: str,
    count: int,
    concurrency: int = 1,
    method: str = "GET",
    timeout_s: float = 30.0,
    pause_s: float = 0.0,
) -> list[SentRequest]:
    """Send `count` requests to `url`, `concurrency` at a time (`pause_s` apart when one at a
    time), each starting a trace of ours; in the order they were sent."""

    def one(_: int) -> SentRequest:
        trace_id = secrets.token_hex(16)
        started = time.perf_counter()
        sent_at = time.time()
        try:
            headers = {"traceparent": traceparent(trace_id)}
            answer = httpx.request(method, url, headers=headers, timeout=timeout_s)
            status = str(answer.status_code)
        except httpx.HTTPError as error:
            status = type(error).__name__
        return SentRequest(trace_id, status, (time.perf_counter() - started) * 1000, sent_at)

    if concurrency <= 1:
        sent = []
        for index in range(count):
            if index and pause_s:
                time.sleep(pause_s)
            sent.append(one(index))
        return sent
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(one, range(count)))


def is_client_to(span: Any, caller: str, callee: str, trace: list[Any]) -> bool:
    """A CLIENT span of `caller` towards `callee` (by `peer.service`, or by its child's service)."""
    from interlock.telemetry import SpanKind

    if span.service != caller or span.kind != SpanKind.CLIENT:
        return False
    if span.attributes.get("peer.service") == callee:
        return True
    return any(s.parent_span_id == span.span_id and s.service == callee for s in trace)


def is_server_of(span: Any, service: str) -> bool:
    from interlock.telemetry import SpanKind

    return bool(span.service == service and span.kind == SpanKind.SERVER)


def read_traces(
    configuration: Configuration,
    trace_ids: list[str],
    complete: Callable[[list[Any]], bool],
    wait_s: float = 15.0,
) -> dict[str, list[Any]]:
    """The spans of each trace, polled until `complete` holds for every one or `wait_s` passed
    (spans arrive after the exporter's delay); traces never seen map to an empty list."""
    from interlock.telemetry import open_store

    settings = configuration or {}
    data_dir = Path(str(settings.get("interlock_data_dir", ".interlock")))
    found: dict[str, list[Any]] = {trace_id: [] for trace_id in trace_ids}
    deadline = time.monotonic() + wait_s
    with open_store(data_dir, str(settings.get("interlock_database_url", ""))) as store:
        while True:
            store.flush(timeout=5)
            for trace_id in trace_ids:
                if not complete(found[trace_id]):
                    found[trace_id] = store.get_trace(trace_id)
            if all(complete(spans) for spans in found.values()) or time.monotonic() > deadline:
                return found
            time.sleep(0.3)
