"""Spans and log records to database rows and back, shared by the SQL span stores.

Attributes, resources, events and bodies travel as compact JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from interlock.telemetry.model import LogRecord, Span, SpanEvent, SpanKind, StatusCode

SpanRow = tuple[Any, ...]
"""A `spans` table row: the 15 columns in table order, attributes and resource as JSON."""

_KINDS = tuple(SpanKind)
_CODES = tuple(StatusCode)
# one encoder for every call: json.dumps with options builds a new encoder each time
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str).encode


def dumps(value: Any) -> str:
    """Compact JSON; values JSON cannot hold (bytes, sets) become their text."""
    try:
        # the intake encodes every span's attributes: orjson is ~5x the stdlib encoder here
        return orjson.dumps(value, default=str).decode()
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, a key that is not a string
        encoded: str = _ENCODE(value)
        return encoded


def span_rows(spans: Sequence[Span]) -> Iterator[tuple[Any, ...]]:
    resources: dict[int, str] = {}  # spans of one resource share its dict: encode it once
    for s in spans:
        resource = resources.get(id(s.resource))
        if resource is None:
            resource = resources[id(s.resource)] = dumps(s.resource)
        events = (
            dumps([[e.time_unix_nano, e.name, e.attributes] for e in s.events])
            if s.events
            else "[]"
        )
        yield (
            s.trace_id, s.span_id, s.parent_span_id, s.service, s.name, int(s.kind),
            s.start_unix_nano, s.end_unix_nano, s.duration_ns, int(s.status_code), s.status_message,
            dumps(s.attributes), resource, events, s.scope,
        )  # fmt: skip


def span_from_row_for_sampling(row: SpanRow) -> Span:
    """A light `Span` for the sampler, which reads ids, times and status only: no attributes."""
    return Span(
        trace_id=row[0], span_id=row[1], parent_span_id=row[2], service=row[3], name=row[4],
        kind=_KINDS[row[5]], start_unix_nano=row[6], end_unix_nano=row[7],
        status_code=_CODES[row[9]],
    )  # fmt: skip


def log_rows(logs: Sequence[LogRecord]) -> Iterator[tuple[Any, ...]]:
    for r in logs:
        yield (
            r.time_unix_nano, r.observed_time_unix_nano, r.trace_id, r.span_id, r.service,
            r.severity_number, r.severity_text, dumps(r.body), dumps(r.attributes),
            dumps(r.resource), r.event_name, r.scope,
        )  # fmt: skip


def span_from_row(row: tuple[Any, ...]) -> Span:
    return Span(
        trace_id=row[0], span_id=row[1], parent_span_id=row[2], service=row[3], name=row[4],
        kind=SpanKind(row[5]), start_unix_nano=row[6], end_unix_nano=row[7],
        status_code=StatusCode(row[9]), status_message=row[10], attributes=json.loads(row[11]),
        resource=json.loads(row[12]), events=tuple(SpanEvent(*e) for e in json.loads(row[13])),
        scope=row[14],
    )  # fmt: skip


def log_from_row(row: tuple[Any, ...]) -> LogRecord:
    return LogRecord(
        time_unix_nano=row[0], observed_time_unix_nano=row[1], trace_id=row[2], span_id=row[3],
        service=row[4], severity_number=row[5], severity_text=row[6], body=json.loads(row[7]),
        attributes=json.loads(row[8]), resource=json.loads(row[9]), event_name=row[10], scope=row[11],
    )  # fmt: skip


WINDOW_SPAN_COLUMNS = (
    "trace_id, span_id, parent_span_id, service, name, kind, start_ns, end_ns, status_code, "
    "status_message, attributes"
)
"""The columns root-cause analysis reads: no resource, events or scope."""


def _loads(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # an integer beyond 64 bits, which the stdlib reads
        return json.loads(text)


def window_span_from_row(row: tuple[Any, ...]) -> Span:
    """A `Span` from a row of `WINDOW_SPAN_COLUMNS` (without resource, events and scope)."""
    return Span(
        trace_id=row[0], span_id=row[1], parent_span_id=row[2], service=row[3], name=row[4],
        kind=_KINDS[row[5]], start_unix_nano=row[6], end_unix_nano=row[7],
        status_code=_CODES[row[8]], status_message=row[9], attributes=_loads(row[10]),
    )  # fmt: skip


def window_log_from_row(row: tuple[Any, ...]) -> LogRecord:
    """A `LogRecord` from a `logs` row, its resource left out (root-cause analysis reads none)."""
    return LogRecord(
        time_unix_nano=row[0], observed_time_unix_nano=row[1], trace_id=row[2], span_id=row[3],
        service=row[4], severity_number=row[5], severity_text=row[6], body=_loads(row[7]),
        attributes=_loads(row[8]), event_name=row[10], scope=row[11],
    )  # fmt: skip
