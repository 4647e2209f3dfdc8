"""Spans and log records to the exporter's rows (JSONCompactEachRow) and back.

Attribute values are text, as the exporter writes them (`AnyValue.AsString`): 3 -> "3",
true -> "true", lists and maps as JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from interlock.telemetry.model import LogRecord, Span, SpanEvent, SpanKind, StatusCode
from interlock.telemetry.stores.clickhouse_aggregates import KIND_NAMES, STATUS_NAMES
from interlock.telemetry.stores.row_codec import dumps

TRACE_COLUMNS = (
    "Timestamp", "TraceId", "SpanId", "ParentSpanId", "TraceState", "SpanName", "SpanKind",
    "ServiceName", "ResourceAttributes", "ScopeName", "ScopeVersion", "SpanAttributes",
    "Duration", "StatusCode", "StatusMessage", "Events.Timestamp", "Events.Name",
    "Events.Attributes",
)  # fmt: skip
LOG_COLUMNS = (
    "Timestamp", "TraceId", "SpanId", "TraceFlags", "SeverityText", "SeverityNumber",
    "ServiceName", "Body", "ResourceAttributes", "ScopeName", "LogAttributes",
)  # fmt: skip
_KIND_OUT = {k: names[0] for k, names in KIND_NAMES.items()}
_STATUS_OUT = {k: names[0] for k, names in STATUS_NAMES.items()}
_KIND_IN = {name: SpanKind(k) for k, names in KIND_NAMES.items() for name in names}
_STATUS_IN = {name: StatusCode(k) for k, names in STATUS_NAMES.items() for name in names}


def text(value: Any) -> str:
    """An attribute value as the exporter stores it."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return dumps(value)


def _texts(attributes: dict[str, Any]) -> dict[str, str]:
    for value in attributes.values():
        if not isinstance(value, str):
            return {k: text(v) for k, v in attributes.items()}
    return attributes


def _time(ns: int) -> str:
    # DateTime64(9) reads "seconds.nanoseconds"; a bare integer would be taken as seconds
    seconds, nanos = divmod(ns, 1_000_000_000)
    return f"{seconds}.{nanos:09d}"


def span_payload(spans: Sequence[Span]) -> bytes:
    """`spans` as JSONCompactEachRow rows of `TRACE_COLUMNS`."""
    resources: dict[int, Any] = {}  # spans of one resource share its dict: convert it once
    lines = []
    for s in spans:
        resource = resources.get(id(s.resource))
        if resource is None:
            resource = resources[id(s.resource)] = _texts(s.resource)
        events = s.events
        lines.append(
            orjson.dumps(
                (
                    _time(s.start_unix_nano),
                    s.trace_id,
                    s.span_id,
                    s.parent_span_id or "",
                    "",
                    s.name,
                    _KIND_OUT.get(int(s.kind), "Unspecified"),
                    s.service,
                    resource,
                    s.scope,
                    "",
                    _texts(s.attributes),
                    s.duration_ns,
                    _STATUS_OUT.get(int(s.status_code), "Unset"),
                    s.status_message,
                    [_time(e.time_unix_nano) for e in events],
                    [e.name for e in events],
                    [_texts(e.attributes) for e in events],
                ),
                default=str,
            )
        )
    return b"\n".join(lines)


def log_payload(logs: Sequence[LogRecord]) -> bytes:
    """`logs` as JSONCompactEachRow rows of `LOG_COLUMNS`."""
    return b"\n".join(
        orjson.dumps(
            (
                _time(r.time_unix_nano),
                r.trace_id or "",
                r.span_id or "",
                0,
                r.severity_text,
                max(0, min(255, r.severity_number)),
                r.service,
                text(r.body),
                _texts(r.resource),
                r.scope,
                _texts(r.attributes),
            ),
            default=str,
        )
        for r in logs
    )


SPAN_SELECT = (
    "SELECT TraceId, SpanId, ParentSpanId, ServiceName, SpanName, SpanKind, "
    "toUnixTimestamp64Nano(Timestamp), Duration, StatusCode, StatusMessage, SpanAttributes, "
    "ResourceAttributes, arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp), Events.Name, "
    "Events.Attributes, ScopeName"
)
LOG_SELECT = (
    "SELECT toUnixTimestamp64Nano(Timestamp), TraceId, SpanId, ServiceName, SeverityNumber, "
    "SeverityText, Body, LogAttributes, ResourceAttributes, ScopeName"
)


def span_of(row: list[Any]) -> Span:
    """A `Span` from a row of `SPAN_SELECT`."""
    (trace, span, parent, service, name, kind, start, duration, status, message, attributes,
     resource, event_times, event_names, event_attributes, scope) = row  # fmt: skip
    return Span(
        trace_id=trace, span_id=span, parent_span_id=parent or None, name=name,
        kind=_KIND_IN.get(kind, SpanKind.UNSPECIFIED), start_unix_nano=start,
        end_unix_nano=start + duration, service=service,
        status_code=_STATUS_IN.get(status, StatusCode.UNSET), status_message=message,
        attributes=attributes, resource=resource,
        events=tuple(
            SpanEvent(t, n, a) for t, n, a in zip(event_times, event_names, event_attributes, strict=True)
        ),
        scope=scope,
    )  # fmt: skip


def log_of(row: list[Any]) -> LogRecord:
    """A `LogRecord` from a row of `LOG_SELECT` (the exporter keeps no observed time)."""
    time, trace, span, service, number, severity, body, attributes, resource, scope = row
    return LogRecord(
        time_unix_nano=time, observed_time_unix_nano=time, severity_number=number,
        severity_text=severity, body=body, service=service, trace_id=trace or None,
        span_id=span or None, attributes=attributes, resource=resource, scope=scope,
    )  # fmt: skip
