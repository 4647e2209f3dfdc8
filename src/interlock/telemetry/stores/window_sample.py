"""How the span stores read a window for root-cause analysis: a share of its traces, whole.

A trace is in the share when the last 8 hex digits of its id (the random part of a W3C trace
id; some tracers put a time in the first ones) fall below `share` of their range, so a share
takes whole traces, the same ones from every service, and every burst of the window in
proportion. Logs follow their trace; a log without one is taken by its time. Error spans and
warning or error logs are always read: a failing trace outside the share is then read whole.
"""

from __future__ import annotations

from collections.abc import Iterable

from interlock.telemetry.model import Span

SLACK_NS = 30_000_000_000
"""Spans up to this long before and after the window are read, so that a trace that starts in
the window is read whole (up to this long after it ends) and one that started before is known."""
FAILING_LIMIT = 200
"""At most this many failing traces outside the share are read whole."""
UNTRACED_MODULUS = 1009  # prime: residues of times in ns, µs or ms are all equally likely
WARNING = 13  # the OpenTelemetry severity number of WARN


def id_threshold(share: float) -> str | None:
    """The 8 hex digits below which a trace id's last 8 are in `share`; None for all."""
    if share >= 1.0:
        return None
    return f"{int(max(0.0, share) * 0x1_0000_0000):08x}"


def in_share(trace_id: str, threshold: str | None) -> bool:
    """Whether `trace_id` is in the share that `threshold` (from `id_threshold`) stands for."""
    return threshold is None or trace_id[24:32] < threshold


def untraced_cut(share: float) -> int:
    """A log without a trace is read when its time modulo `UNTRACED_MODULUS` is below this."""
    return int(min(1.0, max(0.0, share)) * UNTRACED_MODULUS)


def _by_trace(spans: Iterable[Span]) -> dict[str, list[Span]]:
    found: dict[str, list[Span]] = {}
    for span in spans:
        found.setdefault(span.trace_id, []).append(span)
    return found


def _first(spans: list[Span]) -> int:
    return min(s.start_unix_nano for s in spans)


def group_window(
    spans: Iterable[Span], start: int, end: int, threshold: str | None
) -> tuple[list[list[Span]], list[str]]:
    """Spans read from `[start - SLACK_NS, end + SLACK_NS)` as traces, and failing trace ids.

    The traces are those in the share whose first span starts in `[start, end)`, each by start
    time; the ids are those of traces outside the share with an error span in the window (only
    their error spans were read), at most `FAILING_LIMIT`.
    """
    traces: list[list[Span]] = []
    failing: list[str] = []
    for trace_id, group in _by_trace(spans).items():
        if in_share(trace_id, threshold):
            if start <= _first(group) < end:
                traces.append(sorted(group, key=lambda s: s.start_unix_nano))
        elif len(failing) < FAILING_LIMIT and any(start <= s.start_unix_nano < end for s in group):
            failing.append(trace_id)
    return traces, failing


def whole_traces(spans: Iterable[Span], start: int, end: int) -> list[list[Span]]:
    """`spans` of whole traces grouped by trace, keeping those that start in `[start, end)`."""
    return [
        sorted(group, key=lambda s: s.start_unix_nano)
        for group in _by_trace(spans).values()
        if start <= _first(group) < end
    ]
