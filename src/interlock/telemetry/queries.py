"""Trace queries for the CLI and the API: open the store of a data directory, search, show.

Each function opens the store read-mostly for one question and closes it again.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from interlock.errors import UserInputError
from interlock.telemetry.intake.aggregates import quantile_ms
from interlock.telemetry.model import LogRecord, Span
from interlock.telemetry.settings import TelemetrySettings
from interlock.telemetry.stores.interface import SpanStore, TraceQuery, TraceSummary

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_HEX_TRACE_ID = re.compile(r"^[0-9a-fA-F]{32}$")


def parse_duration_s(text: str) -> float:
    """`15m`, `90s`, `2h`, `250ms`, `1d` in seconds; UserInputError otherwise."""
    match = _DURATION.match(text)
    if not match:
        raise UserInputError(f"{text!r}: expected a duration such as 250ms, 90s, 15m, 2h or 1d")
    return float(match.group(1)) * _UNIT_S[match.group(2)]


def since_unix_nano(text: str, now: float | None = None) -> int:
    """The Unix time in nanoseconds `text` (a duration) before now."""
    now = time.time() if now is None else now
    return int((now - parse_duration_s(text)) * 1_000_000_000)


@contextmanager
def open_store(data_dir: Path, database_url: str = "") -> Iterator[SpanStore]:
    """The span store of `data_dir` (or of `database_url`); UserInputError when there is none yet."""
    settings = TelemetrySettings(data_dir=data_dir, database_url=database_url)
    if not database_url and not settings.spans_path.exists():
        raise UserInputError(
            f"{settings.spans_path}: no span store here; run `interlock collector` "
            "(or `interlock server`) with this --data-dir first"
        )
    from interlock.telemetry.intake.routes import open_span_store

    store = open_span_store(settings)
    try:
        yield store
    finally:
        store.close()


def search_traces(data_dir: Path, query: TraceQuery, database_url: str = "") -> list[TraceSummary]:
    """Traces in `data_dir` (or `database_url`) matching `query`, newest first."""
    with open_store(data_dir, database_url) as store:
        return store.search(query)


@dataclass(frozen=True)
class TraceView:
    """One trace as stored: its spans by start time and the log records that carry its id."""

    trace_id: str
    spans: list[Span]
    logs: list[LogRecord]

    def to_json(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "spans": [
                {
                    **asdict(s),
                    "kind": s.kind.name,
                    "status_code": s.status_code.name,
                    "duration_ms": s.duration_ms,
                }
                for s in self.spans
            ],
            "logs": [asdict(r) for r in self.logs],
        }


def show_trace(data_dir: Path, trace_id: str, database_url: str = "") -> TraceView:
    """The spans and logs of one trace; UserInputError for a malformed or unknown id."""
    if not _HEX_TRACE_ID.match(trace_id):
        raise UserInputError(f"trace id {trace_id!r}: expected 32 hex digits")
    with open_store(data_dir, database_url) as store:
        spans = store.get_trace(trace_id)
        logs = store.logs_for_trace(trace_id)
    if not spans and not logs:
        raise UserInputError(f"trace {trace_id}: not found in {data_dir}")
    return TraceView(trace_id.lower(), spans, logs)


@dataclass(frozen=True)
class ObservedEdge:
    """Calls from one caller to one callee over a window: the service map's edge label."""

    caller: str
    callee: str
    callee_kind: str  # service | database | queue
    calls: int
    errors: int
    calls_per_minute: float
    error_rate: float
    p50_ms: float
    p95_ms: float


def observed_edges(
    store: SpanStore, start_unix_nano: int | None = None, end_unix_nano: int | None = None
) -> list[ObservedEdge]:
    """The edges seen in the window with their rate, error rate and latency quantiles."""
    merged: dict[tuple[str, str, str], list[Any]] = {}
    minutes: set[int] = set()
    for edge in store.edges(start_unix_nano, end_unix_nano):
        minutes.add(edge.minute_unix)
        entry = merged.setdefault((edge.caller, edge.callee, edge.callee_kind), [0, 0, None])
        entry[0] += edge.calls
        entry[1] += edge.errors
        entry[2] = (
            list(edge.histogram)
            if entry[2] is None
            else [a + b for a, b in zip(entry[2], edge.histogram, strict=True)]
        )
    if start_unix_nano is not None and end_unix_nano is not None:
        span_minutes = max(1.0, (end_unix_nano - start_unix_nano) / 60_000_000_000)
    else:
        span_minutes = float(max(1, len(minutes)))
    return [
        ObservedEdge(
            caller,
            callee,
            kind,
            calls,
            errors,
            calls / span_minutes,
            errors / calls if calls else 0.0,
            quantile_ms(histogram, 0.5),
            quantile_ms(histogram, 0.95),
        )
        for (caller, callee, kind), (calls, errors, histogram) in sorted(merged.items())
    ]
