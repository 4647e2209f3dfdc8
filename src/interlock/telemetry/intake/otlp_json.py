"""OTLP/JSON request bodies to spans and log records: hex ids, int64 as strings or numbers.

Accepts lowerCamelCase (the OTLP/JSON spelling) and snake_case keys, ignores unknown fields.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Callable, Mapping
from enum import IntEnum
from typing import Any, TypeVar

from interlock.telemetry.intake.otlp import Decoded, PayloadError, clip, service_of
from interlock.telemetry.model import LogRecord, Span, SpanEvent, SpanKind, StatusCode

T = TypeVar("T")


class _Shape(Exception):
    """A JSON value of the wrong shape at a JSON path."""

    def __init__(self, path: str, expected: str) -> None:
        super().__init__(f"{path}: expected {expected}")


def _field(obj: Mapping[str, Any], camel: str, snake: str) -> Any:
    """OTLP/JSON uses lowerCamelCase; receivers should also accept the proto field names."""
    value = obj.get(camel)
    return obj.get(snake) if value is None else value


def _obj(value: Any, path: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Shape(path, "an object")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Shape(path, "an array")
    return value


def _int(value: Any, path: str) -> int:
    """int64/uint64 in OTLP/JSON may be a decimal string or a number."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise _Shape(path, "an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise _Shape(path, "an integer (a number or a decimal string)")


def _enum(value: Any, path: str, prefix: str, names: type[IntEnum]) -> int:
    """Enums are integers in OTLP/JSON; some senders write the proto name, which we also take."""
    if isinstance(value, str) and value.startswith(prefix):
        member = names.__members__.get(value.removeprefix(prefix))
        if member is None:
            raise _Shape(
                path, f"an integer or one of {', '.join(prefix + n for n in names.__members__)}"
            )
        return int(member)
    return _int(value, path)


def _str(value: Any, path: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Shape(path, "a string")
    return value


def _json_id(value: Any, size: int) -> str | None:
    """OTLP/JSON ids are hex strings (case-insensitive); None when empty."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("must be a hex string")
    try:
        raw = binascii.unhexlify(value)
    except (binascii.Error, ValueError):
        raise ValueError(f"{value!r} is not hex") from None
    if len(raw) != size:
        raise ValueError(f"must be {size} bytes ({size * 2} hex digits), got {len(raw)}")
    return raw.hex()


def _json_value(value: Any, path: str, limit: int) -> Any:
    value = _obj(value, path)
    for key in ("stringValue", "string_value"):
        if key in value:
            return clip(_str(value[key], f"{path}.{key}"), limit)
    for key in ("boolValue", "bool_value"):
        if key in value:
            return bool(value[key])
    for key in ("intValue", "int_value"):
        if key in value:
            return _int(value[key], f"{path}.{key}")
    for key in ("doubleValue", "double_value"):
        if key in value:
            raw = value[key]
            if isinstance(raw, str):  # "NaN", "Infinity" and numbers as strings
                return float(raw)
            return float(raw)
    for key in ("arrayValue", "array_value"):
        if key in value:
            values = _list(_obj(value[key], f"{path}.{key}").get("values"), f"{path}.{key}.values")
            return [
                _json_value(v, f"{path}.{key}.values[{i}]", limit) for i, v in enumerate(values)
            ]
    for key in ("kvlistValue", "kvlist_value"):
        if key in value:
            values = _list(_obj(value[key], f"{path}.{key}").get("values"), f"{path}.{key}.values")
            return _json_attributes(values, f"{path}.{key}.values", limit)
    for key in ("bytesValue", "bytes_value"):
        if key in value:
            return _str(value[key], f"{path}.{key}")  # already base64 in OTLP/JSON
    return None


def _json_attributes(items: Any, path: str, limit: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for i, kv in enumerate(_list(items, path)):
        kv = _obj(kv, f"{path}[{i}]")
        key = _str(kv.get("key"), f"{path}[{i}].key")
        result[key] = _json_value(kv.get("value"), f"{path}[{i}].value", limit)
    return result


def _load_json(body: bytes, what: str) -> Mapping[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise PayloadError(f"{what}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise PayloadError(f"{what}: $: expected a JSON object")
    return data


def _json_span(
    raw: Any, path: str, service: str, resource: dict[str, Any], scope: str, limit: int
) -> Span:
    obj = _obj(raw, path)
    status = _obj(obj.get("status"), f"{path}.status")
    kind = _enum(obj.get("kind"), f"{path}.kind", "SPAN_KIND_", SpanKind)
    code = _enum(status.get("code"), f"{path}.status.code", "STATUS_CODE_", StatusCode)
    events = tuple(
        SpanEvent(
            _int(_field(e, "timeUnixNano", "time_unix_nano"), f"{path}.events[{j}].timeUnixNano"),
            _str(e.get("name"), f"{path}.events[{j}].name"),
            _json_attributes(e.get("attributes"), f"{path}.events[{j}].attributes", limit),
        )
        for j, e in enumerate(
            _obj(x, f"{path}.events[{k}]")
            for k, x in enumerate(_list(obj.get("events"), f"{path}.events"))
        )
    )
    trace_id = _json_id(_field(obj, "traceId", "trace_id"), 16)
    span_id = _json_id(_field(obj, "spanId", "span_id"), 8)
    if trace_id is None or span_id is None or int(trace_id, 16) == 0:
        raise ValueError("trace_id and span_id are required and non-zero")
    return Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=_json_id(_field(obj, "parentSpanId", "parent_span_id"), 8),
        name=_str(obj.get("name"), f"{path}.name"),
        kind=SpanKind(kind) if 0 <= kind <= 5 else SpanKind.UNSPECIFIED,
        start_unix_nano=_int(
            _field(obj, "startTimeUnixNano", "start_time_unix_nano"), f"{path}.startTimeUnixNano"
        ),
        end_unix_nano=_int(
            _field(obj, "endTimeUnixNano", "end_time_unix_nano"), f"{path}.endTimeUnixNano"
        ),
        service=service,
        status_code=StatusCode(code) if 0 <= code <= 2 else StatusCode.UNSET,
        status_message=_str(status.get("message"), f"{path}.status.message"),
        attributes=_json_attributes(obj.get("attributes"), f"{path}.attributes", limit),
        resource=resource,
        events=events,
        scope=scope,
    )


def _json_log(
    raw: Any, path: str, service: str, resource: dict[str, Any], scope: str, limit: int
) -> LogRecord:
    obj = _obj(raw, path)
    observed = _int(
        _field(obj, "observedTimeUnixNano", "observed_time_unix_nano"),
        f"{path}.observedTimeUnixNano",
    )
    body = obj.get("body")
    return LogRecord(
        time_unix_nano=_int(_field(obj, "timeUnixNano", "time_unix_nano"), f"{path}.timeUnixNano")
        or observed,
        observed_time_unix_nano=observed,
        severity_number=_int(
            _field(obj, "severityNumber", "severity_number"), f"{path}.severityNumber"
        ),
        severity_text=_str(_field(obj, "severityText", "severity_text"), f"{path}.severityText"),
        body=None if body is None else _json_value(body, f"{path}.body", limit),
        service=service,
        trace_id=_json_id(_field(obj, "traceId", "trace_id"), 16),
        span_id=_json_id(_field(obj, "spanId", "span_id"), 8),
        attributes=_json_attributes(obj.get("attributes"), f"{path}.attributes", limit),
        resource=resource,
        event_name=_str(_field(obj, "eventName", "event_name"), f"{path}.eventName"),
        scope=scope,
    )


def _decode_json(
    body: bytes,
    what: str,
    names: tuple[tuple[str, str], tuple[str, str], tuple[str, str]],
    build: Callable[[Any, str, str, dict[str, Any], str, int], T],
    limit: int,
) -> Decoded[T]:
    (top_c, top_s), (scope_c, scope_s), (items_c, items_s) = names
    data = _load_json(body, what)
    out: Decoded[T] = Decoded()
    try:
        for r, resource_items in enumerate(_list(_field(data, top_c, top_s), f"$.{top_c}")):
            rpath = f"$.{top_c}[{r}]"
            resource_items = _obj(resource_items, rpath)
            resource_obj = _obj(resource_items.get("resource"), f"{rpath}.resource")
            resource = _json_attributes(
                resource_obj.get("attributes"), f"{rpath}.resource.attributes", limit
            )
            service = service_of(resource)
            for s, scope_items in enumerate(
                _list(_field(resource_items, scope_c, scope_s), f"{rpath}.{scope_c}")
            ):
                spath = f"{rpath}.{scope_c}[{s}]"
                scope_items = _obj(scope_items, spath)
                scope = _str(
                    _obj(scope_items.get("scope"), f"{spath}.scope").get("name"),
                    f"{spath}.scope.name",
                )
                for i, raw in enumerate(
                    _list(_field(scope_items, items_c, items_s), f"{spath}.{items_c}")
                ):
                    ipath = f"{spath}.{items_c}[{i}]"
                    try:
                        out.items.append(build(raw, ipath, service, resource, scope, limit))
                    except ValueError as error:  # one bad item: rejected, the rest kept
                        out.reject(f"{ipath}: {error}")
    except _Shape as error:
        raise PayloadError(f"{what}: {error}") from None
    return out


def decode_traces_json(body: bytes, attribute_limit: int = 8192) -> Decoded[Span]:
    """Decode an `ExportTraceServiceRequest` in OTLP/JSON encoding."""
    names = (("resourceSpans", "resource_spans"), ("scopeSpans", "scope_spans"), ("spans", "spans"))
    return _decode_json(body, "ExportTraceServiceRequest", names, _json_span, attribute_limit)


def decode_logs_json(body: bytes, attribute_limit: int = 8192) -> Decoded[LogRecord]:
    """Decode an `ExportLogsServiceRequest` in OTLP/JSON encoding."""
    names = (
        ("resourceLogs", "resource_logs"),
        ("scopeLogs", "scope_logs"),
        ("logRecords", "log_records"),
    )
    return _decode_json(body, "ExportLogsServiceRequest", names, _json_log, attribute_limit)
