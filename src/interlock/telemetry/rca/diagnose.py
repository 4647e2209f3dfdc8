"""Root-cause analysis for the CLI and the API: one trace, or a window against its baseline.

Opens the span store of a data directory; the analysis itself is `rca_trace` and `rca_window`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from interlock.errors import UserInputError
from interlock.telemetry.queries import open_store
from interlock.telemetry.rca.read import traces_between
from interlock.telemetry.rca.trace import (
    Baseline,
    OperationBaseline,
    PathSuspect,
    RootCause,
    TraceDiagnosis,
    rca_trace,
)
from interlock.telemetry.rca.window import (
    ServiceSuspect,
    Suspect,
    WindowDiagnosis,
    rca_window,
)
from interlock.telemetry.stores.metric_store import MetricStore

TRACE_BASELINE_S = 3600
"""Without a baseline window, a trace's window is the hour up to it, and the baseline the hour
before that window (the window RCA's rule: the same length just before)."""

_NS = 1_000_000_000
_HEX_TRACE_ID = re.compile(r"^[0-9a-fA-F]{32}$")


def parse_time_unix_nano(text: str, what: str = "time") -> int:
    """An RFC 3339 time (`2026-11-26T14:00:00Z`, offsets allowed) in Unix nanoseconds."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise UserInputError(
            f"{what} {text!r}: expected an RFC 3339 time such as 2026-11-26T14:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise UserInputError(
            f"{what} {text!r}: expected an RFC 3339 time with a zone (Z or +01:00)"
        )
    whole = int(moment.replace(microsecond=0).timestamp())
    return whole * _NS + moment.microsecond * 1000


def format_time(unix_nano: int) -> str:
    """Unix nanoseconds as RFC 3339 UTC with milliseconds."""
    moment = datetime.fromtimestamp(unix_nano / _NS, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def default_baseline(start: int, end: int) -> tuple[int, int]:
    """The window of the same length just before `[start, end)`."""
    return start - (end - start), start


def diagnose_trace(
    data_dir: Path,
    trace_id: str,
    baseline_start: int | None = None,
    baseline_end: int | None = None,
) -> TraceDiagnosis:
    """Diagnose one stored trace against the usual self times of the baseline window.

    The baseline defaults to the hour before the hour up to the trace; UserInputError for a malformed
    or unknown id.
    """
    if not _HEX_TRACE_ID.match(trace_id):
        raise UserInputError(f"trace id {trace_id!r}: expected 32 hex digits")
    with open_store(data_dir) as store:
        spans = store.get_trace(trace_id)
        if not spans:
            raise UserInputError(f"trace {trace_id}: not found in {data_dir}")
        first = min(s.start_unix_nano for s in spans)
        if baseline_start is None or baseline_end is None:
            # the hour up to the trace may hold the incident: compare with the hour before it
            baseline_start, baseline_end = default_baseline(first - TRACE_BASELINE_S * _NS, first)
        others = [
            t
            for t in traces_between(store, baseline_start, baseline_end)
            if t[0].trace_id != spans[0].trace_id
        ]
    return rca_trace(spans, Baseline.from_traces(others))


def diagnose_window(
    data_dir: Path,
    start: int,
    end: int,
    baseline_start: int | None = None,
    baseline_end: int | None = None,
    service: str | None = None,
) -> WindowDiagnosis:
    """Rank suspects in `[start, end)`; the baseline defaults to the same length just before."""
    if end <= start:
        raise UserInputError(
            f"window {format_time(start)} .. {format_time(end)}: expected the end after the start"
        )
    if baseline_start is None or baseline_end is None:
        if baseline_start is not None or baseline_end is not None:
            raise UserInputError("--baseline-start and --baseline-end go together")
        baseline_start, baseline_end = default_baseline(start, end)
    if baseline_end <= baseline_start:
        raise UserInputError(
            f"baseline {format_time(baseline_start)} .. {format_time(baseline_end)}: "
            "expected the end after the start"
        )
    metrics_path = data_dir / "metrics.db"
    metrics = MetricStore(metrics_path) if metrics_path.exists() else None
    with open_store(data_dir) as store:
        return rca_window(store, start, end, baseline_start, baseline_end, service, metrics=metrics)


__all__ = [
    "Baseline",
    "OperationBaseline",
    "PathSuspect",
    "RootCause",
    "ServiceSuspect",
    "Suspect",
    "TraceDiagnosis",
    "WindowDiagnosis",
    "default_baseline",
    "diagnose_trace",
    "diagnose_window",
    "format_time",
    "parse_time_unix_nano",
    "rca_trace",
    "rca_window",
]
