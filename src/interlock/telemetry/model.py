"""The telemetry data Interlock keeps: spans and log records as plain dataclasses.

Decoded from OTLP (protobuf or JSON) by `intake/otlp.py`, written by a `SpanStore`, read back by queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

Attributes = dict[str, Any]


class SpanKind(IntEnum):
    """OTLP `Span.SpanKind`, numbered as on the wire."""

    UNSPECIFIED = 0
    INTERNAL = 1
    SERVER = 2
    CLIENT = 3
    PRODUCER = 4
    CONSUMER = 5


class StatusCode(IntEnum):
    """OTLP `Status.StatusCode`, numbered as on the wire."""

    UNSET = 0
    OK = 1
    ERROR = 2


@dataclass(frozen=True)
class SpanEvent:
    """A timestamped event inside a span (an exception, a retry, a message)."""

    time_unix_nano: int
    name: str
    attributes: Attributes = field(default_factory=dict)


@dataclass(
    slots=True
)  # not frozen: frozen dataclasses are slower to build, and the intake builds many
class Span:
    """One span with its resource: ids are lowercase hex, times are Unix nanoseconds."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: SpanKind
    start_unix_nano: int
    end_unix_nano: int
    service: str
    status_code: StatusCode = StatusCode.UNSET
    status_message: str = ""
    attributes: Attributes = field(default_factory=dict)
    resource: Attributes = field(default_factory=dict)
    events: tuple[SpanEvent, ...] = ()
    scope: str = ""

    @property
    def duration_ns(self) -> int:
        return max(0, self.end_unix_nano - self.start_unix_nano)

    @property
    def duration_ms(self) -> float:
        return self.duration_ns / 1_000_000

    @property
    def is_error(self) -> bool:
        return self.status_code == StatusCode.ERROR


@dataclass(slots=True)
class LogRecord:
    """One log record with its resource; `trace_id`/`span_id` are hex or None."""

    time_unix_nano: int
    observed_time_unix_nano: int
    severity_number: int
    severity_text: str
    body: Any
    service: str
    trace_id: str | None = None
    span_id: str | None = None
    attributes: Attributes = field(default_factory=dict)
    resource: Attributes = field(default_factory=dict)
    event_name: str = ""
    scope: str = ""
