"""The logging standard for services: JSON lines in the OpenTelemetry log data model.

`configure(service=...)` routes structlog and stdlib `logging` calls through the same processors.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import MutableMapping
from typing import IO, Any

import structlog
from opentelemetry import trace

SEVERITY_NUMBERS: dict[str, int] = {
    "TRACE": 1,
    "DEBUG": 5,
    "INFO": 9,
    "WARN": 13,
    "ERROR": 17,
    "FATAL": 21,
}
"""OpenTelemetry severity text (short names) and the first number of its range."""

_FROM_STDLIB = {"debug": "DEBUG", "info": "INFO", "warning": "WARN", "warn": "WARN", "error": "ERROR",
                "exception": "ERROR", "critical": "FATAL", "fatal": "FATAL", "notset": "TRACE", "trace": "TRACE"}  # fmt: skip
_META = (
    "_record",
    "_from_structlog",
    "logger",
    "level",
    "timestamp",
    "event",
    "exc_info",
    "stack_info",
)
_FORMATTER_ADDED = ("message", "asctime")  # set on stdlib records by other handlers' formatters
_HANDLER_MARK = "_interlock_logging"

EventDict = MutableMapping[str, Any]


def add_trace_context(_: Any, __: str, event: EventDict) -> EventDict:
    """Top-level hex `trace_id` and `span_id` of the span current when the line was logged."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event.setdefault("trace_id", format(context.trace_id, "032x"))
        event.setdefault("span_id", format(context.span_id, "016x"))
    return event


def add_exception(_: Any, __: str, event: EventDict) -> EventDict:
    """`exception.type`, `exception.message`, `exception.stacktrace` from `exc_info`, as OTel names them."""
    info = event.pop("exc_info", None)
    if info is True:
        info = sys.exc_info()
    elif isinstance(info, BaseException):
        info = (type(info), info, info.__traceback__)
    if isinstance(info, tuple) and info[0] is not None:
        kind, error, tb = info
        event["exception.type"] = f"{kind.__module__}.{kind.__qualname__}".removeprefix("builtins.")
        event["exception.message"] = str(error)
        event["exception.stacktrace"] = "".join(traceback.format_exception(kind, error, tb))
    return event


def _to_data_model(service: str) -> structlog.types.Processor:
    def to_data_model(_: Any, method: str, event: EventDict) -> EventDict:
        """Reshape structlog's event dict into the standard's field names and order."""
        level = str(event.get("level") or method).lower()
        severity = _FROM_STDLIB.get(level, "INFO")
        record = event.get("_record")
        out: dict[str, Any] = {
            "timestamp": event.get("timestamp"),
            "severity_text": severity,
            "severity_number": SEVERITY_NUMBERS[severity],
            "body": event.get("event"),
            "service.name": service,
        }
        for key in (
            "trace_id",
            "span_id",
            "exception.type",
            "exception.message",
            "exception.stacktrace",
        ):
            if key in event:
                out[key] = event.pop(key)
        attributes = {k: v for k, v in event.items() if k not in _META}
        if record is not None and not event.get("_from_structlog"):
            for key in _FORMATTER_ADDED:
                attributes.pop(key, None)
        logger_name = event.get("logger") or (record.name if record is not None else None)
        if logger_name:
            attributes.setdefault("logger.name", logger_name)
        if attributes:
            out["attributes"] = attributes
        return out

    return to_data_model


def configure(
    service: str,
    stream: IO[str] | None = None,
    level: int | str = logging.INFO,
    otlp_endpoint: str | None = None,
) -> None:
    """Make every log call of this process (structlog or stdlib) write standard JSON lines to `stream`.

    `otlp_endpoint` (for example `http://127.0.0.1:4318/v1/logs`) also exports the records over OTLP.
    Calling it again replaces the previous configuration.
    """
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        add_trace_context,
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *shared],
        processors=[
            add_exception,
            _to_data_model(service),
            structlog.processors.JSONRenderer(default=str),
        ],
    )
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(formatter)
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
        if old is not handler:
            old.close()
    root.addHandler(handler)
    if otlp_endpoint:
        from interlock.logging.export import OtlpLogHandler

        exporter_handler = OtlpLogHandler(service, otlp_endpoint, formatter)
        setattr(exporter_handler, _HANDLER_MARK, True)
        root.addHandler(exporter_handler)
    root.setLevel(level)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
