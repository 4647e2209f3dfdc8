"""OTLP request bodies to spans and log records, and OTLP responses back.

Protobuf bodies here (opentelemetry-proto messages); OTLP/JSON bodies in `otlp_json.py`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from google.protobuf.message import DecodeError
from google.rpc import status_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from interlock.errors import UserInputError
from interlock.telemetry.intake.aggregates import SpanRecord, span_keys
from interlock.telemetry.model import LogRecord, Span, SpanEvent, SpanKind, StatusCode
from interlock.telemetry.stores.row_codec import dumps

UNKNOWN_SERVICE = "unknown_service"
_INVALID_ARGUMENT = 3  # google.rpc.Code.INVALID_ARGUMENT
T = TypeVar("T")
_SCALARS = frozenset({"int_value", "bool_value", "double_value"})
_KINDS = tuple(SpanKind)
_CODES = tuple(StatusCode)
_ZERO_TRACE = bytes(16)
_ZERO_SPAN = bytes(8)


class PayloadError(UserInputError):
    """An OTLP body that cannot be decoded at all (answered with 400, never retried)."""


@dataclass
class Decoded(Generic[T]):
    """What one request carried: the valid items, and how many were rejected and why."""

    items: list[T] = field(default_factory=list)
    rejected: int = 0
    messages: list[str] = field(default_factory=list)

    def reject(self, message: str) -> None:
        self.rejected += 1
        if len(self.messages) < 5:  # a few examples are enough for the client's log
            self.messages.append(message)


# --- shared value handling ---------------------------------------------------------------


def clip(value: Any, limit: int) -> Any:
    """A string value cut to `limit` characters; other values unchanged."""
    if isinstance(value, str) and len(value) > limit:
        return value[:limit]
    return value


def _pb_value(value: Any, limit: int) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "string_value":
        return clip(value.string_value, limit)
    if kind == "array_value":
        return [_pb_value(v, limit) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _pb_value(kv.value, limit) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return getattr(value, kind)


def _pb_attributes(items: Any, limit: int) -> dict[str, Any]:
    # the hot loop of the intake: scalar values are handled inline, nested ones recursively
    result: dict[str, Any] = {}
    for kv in items:
        value = kv.value
        text = value.string_value  # most values are strings: one call instead of two
        if text:
            result[kv.key] = text if len(text) <= limit else text[:limit]
            continue
        kind = value.WhichOneof("value")
        if kind == "string_value":
            result[kv.key] = text
        elif kind in _SCALARS:
            result[kv.key] = getattr(value, kind)
        else:
            result[kv.key] = _pb_value(value, limit)
    return result


def _id_problem(trace_id: bytes, span_id: bytes, parent: bytes) -> str | None:
    """Why these protobuf ids are unusable, or None when they are fine."""
    for name, raw, size in (("trace_id", trace_id, 16), ("span_id", span_id, 8)):
        if len(raw) != size:
            return f"{name} must be {size} bytes, got {len(raw)}"
        if not raw.strip(b"\0"):
            return f"{name} must not be all zero"
    if parent and len(parent) != 8:
        return f"parent_span_id must be 8 bytes or empty, got {len(parent)}"
    return None


def _pb_id(raw: bytes, size: int) -> str | None:
    """Hex of a protobuf id field, None when empty; ValueError when the length is wrong."""
    if not raw:
        return None
    if len(raw) != size:
        raise ValueError(f"must be {size} bytes, got {len(raw)}")
    return raw.hex()


def service_of(resource: Mapping[str, Any]) -> str:
    """The resource's `service.name`, or `unknown_service` as the SDKs say when it has none."""
    name = resource.get("service.name")
    return name if isinstance(name, str) and name else UNKNOWN_SERVICE


# --- protobuf ---------------------------------------------------------------------------


def _parse_pb(message: Any, body: bytes, what: str) -> Any:
    try:
        message.ParseFromString(body)
    except DecodeError as error:
        raise PayloadError(f"{what}: not a valid protobuf message ({error})") from None
    return message


def decode_traces_protobuf(body: bytes, attribute_limit: int = 8192) -> Decoded[Span]:
    """Decode an `ExportTraceServiceRequest` in protobuf encoding."""
    request = _parse_pb(
        trace_service_pb2.ExportTraceServiceRequest(), body, "ExportTraceServiceRequest"
    )
    out: Decoded[Span] = Decoded()
    for r, resource_spans in enumerate(request.resource_spans):
        resource = _pb_attributes(resource_spans.resource.attributes, attribute_limit)
        service = service_of(resource)
        for s, scope_spans in enumerate(resource_spans.scope_spans):
            scope = scope_spans.scope.name
            for i, pb in enumerate(scope_spans.spans):
                trace_id, span_id, parent = pb.trace_id, pb.span_id, pb.parent_span_id
                if len(trace_id) != 16 or len(span_id) != 8 or (parent and len(parent) != 8) \
                        or trace_id == _ZERO_TRACE or span_id == _ZERO_SPAN:  # fmt: skip
                    problem = _id_problem(trace_id, span_id, parent)
                    out.reject(f"resource_spans[{r}].scope_spans[{s}].spans[{i}]: {problem}")
                    continue
                kind, code = pb.kind, pb.status.code
                out.items.append(
                    Span(
                        trace_id=trace_id.hex(),
                        span_id=span_id.hex(),
                        parent_span_id=parent.hex() if parent else None,
                        name=pb.name,
                        kind=_KINDS[kind] if 0 <= kind <= 5 else SpanKind.UNSPECIFIED,
                        start_unix_nano=pb.start_time_unix_nano,
                        end_unix_nano=pb.end_time_unix_nano,
                        service=service,
                        status_code=_CODES[code] if 0 <= code <= 2 else StatusCode.UNSET,
                        status_message=pb.status.message,
                        attributes=_pb_attributes(pb.attributes, attribute_limit),
                        resource=resource,
                        events=tuple(
                            SpanEvent(
                                e.time_unix_nano,
                                e.name,
                                _pb_attributes(e.attributes, attribute_limit),
                            )
                            for e in pb.events
                        )
                        if pb.events
                        else (),
                        scope=scope,
                    )
                )
    return out


def decode_trace_rows_protobuf(body: bytes, attribute_limit: int = 8192) -> Decoded[SpanRecord]:
    """Decode an `ExportTraceServiceRequest` straight into span rows, for a writer process.

    The same validation and rejections as `decode_traces_protobuf`, without building `Span`
    objects: each item is the row the store inserts, attributes already JSON, with the span's
    aggregate keys (`span_keys`), so that the writer never reads the JSON back.
    """
    request = _parse_pb(
        trace_service_pb2.ExportTraceServiceRequest(), body, "ExportTraceServiceRequest"
    )
    out: Decoded[SpanRecord] = Decoded()
    items = out.items
    for r, resource_spans in enumerate(request.resource_spans):
        resource = _pb_attributes(resource_spans.resource.attributes, attribute_limit)
        service = service_of(resource)
        resource_json = dumps(resource)
        for s, scope_spans in enumerate(resource_spans.scope_spans):
            scope = scope_spans.scope.name
            for i, pb in enumerate(scope_spans.spans):
                trace_id, span_id, parent = pb.trace_id, pb.span_id, pb.parent_span_id
                if len(trace_id) != 16 or len(span_id) != 8 or (parent and len(parent) != 8) \
                        or trace_id == _ZERO_TRACE or span_id == _ZERO_SPAN:  # fmt: skip
                    problem = _id_problem(trace_id, span_id, parent)
                    out.reject(f"resource_spans[{r}].scope_spans[{s}].spans[{i}]: {problem}")
                    continue
                kind, status, name = pb.kind, pb.status, pb.name
                kind = kind if 0 <= kind <= 5 else 0
                code = status.code
                start, end = pb.start_time_unix_nano, pb.end_time_unix_nano
                attributes = _pb_attributes(pb.attributes, attribute_limit)
                events = (
                    dumps(
                        [
                            [
                                e.time_unix_nano,
                                e.name,
                                _pb_attributes(e.attributes, attribute_limit),
                            ]
                            for e in pb.events
                        ]
                    )
                    if pb.events
                    else "[]"
                )
                row = (
                    trace_id.hex(), span_id.hex(), parent.hex() if parent else None, service,
                    name, kind, start, end,
                    end - start if end > start else 0, code if 0 <= code <= 2 else 0,
                    status.message, dumps(attributes), resource_json, events, scope,
                )  # fmt: skip
                items.append((row, span_keys(name, kind, attributes)))
    return out


def decode_logs_protobuf(body: bytes, attribute_limit: int = 8192) -> Decoded[LogRecord]:
    """Decode an `ExportLogsServiceRequest` in protobuf encoding."""
    request = _parse_pb(
        logs_service_pb2.ExportLogsServiceRequest(), body, "ExportLogsServiceRequest"
    )
    out: Decoded[LogRecord] = Decoded()
    for r, resource_logs in enumerate(request.resource_logs):
        resource = _pb_attributes(resource_logs.resource.attributes, attribute_limit)
        service = service_of(resource)
        for s, scope_logs in enumerate(resource_logs.scope_logs):
            scope = scope_logs.scope.name
            for i, pb in enumerate(scope_logs.log_records):
                where = f"resource_logs[{r}].scope_logs[{s}].log_records[{i}]"
                try:
                    trace_id = _pb_id(pb.trace_id, 16)
                    span_id = _pb_id(pb.span_id, 8)
                except ValueError as error:
                    out.reject(f"{where}: id {error}")
                    continue
                out.items.append(
                    LogRecord(
                        time_unix_nano=pb.time_unix_nano or pb.observed_time_unix_nano,
                        observed_time_unix_nano=pb.observed_time_unix_nano,
                        severity_number=pb.severity_number,
                        severity_text=pb.severity_text,
                        body=_pb_value(pb.body, attribute_limit) if pb.HasField("body") else None,
                        service=service,
                        trace_id=trace_id,
                        span_id=span_id,
                        attributes=_pb_attributes(pb.attributes, attribute_limit),
                        resource=resource,
                        event_name=getattr(pb, "event_name", ""),
                        scope=scope,
                    )
                )
    return out


# --- responses --------------------------------------------------------------------------


def success_body(signal: str, rejected: int, message: str, as_json: bool) -> bytes:
    """The `Export*ServiceResponse` with `partial_success` filled only when something was rejected."""
    if as_json:
        if not rejected:
            return b"{}"
        key = "rejectedSpans" if signal == "traces" else "rejectedLogRecords"
        return json.dumps(
            {"partialSuccess": {key: str(rejected), "errorMessage": message}}
        ).encode()
    response: Any
    if signal == "traces":
        response = trace_service_pb2.ExportTraceServiceResponse()
        if rejected:
            response.partial_success.rejected_spans = rejected
            response.partial_success.error_message = message
    else:
        response = logs_service_pb2.ExportLogsServiceResponse()
        if rejected:
            response.partial_success.rejected_log_records = rejected
            response.partial_success.error_message = message
    body: bytes = response.SerializeToString()
    return body


def status_body(message: str, as_json: bool, code: int = _INVALID_ARGUMENT) -> bytes:
    """A `google.rpc.Status`, the body OTLP/HTTP returns with a 4xx or 5xx answer."""
    if as_json:
        return json.dumps({"code": code, "message": message}).encode()
    body: bytes = status_pb2.Status(code=code, message=message).SerializeToString()
    return body
