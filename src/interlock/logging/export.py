"""The optional OTLP side of the logging standard: each standard line also sent as a log record.

Uses the OpenTelemetry SDK's OTLP/HTTP log exporter behind a batching processor.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from opentelemetry import context
from opentelemetry._logs import SeverityNumber
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource

_ATTRIBUTE_TYPES = (str, bool, int, float)
FLUSH_TIMEOUT_MS = 5_000
# A collector that is gone, or that takes the connection and never answers, must not hold
# the process: an export (with its retries) gives up after this long, so a flush does too.
EXPORT_TIMEOUT_S = 5.0


def _not_from_an_export(record: logging.LogRecord) -> bool:
    """Drop what is logged while the SDK exports (it marks that context as suppressed).

    The exporter logs its own failures (a collector down, urllib3 retrying). Sent back to
    this handler, each would queue another record to export — and when logging.shutdown()
    holds this handler's lock while flushing (uvicorn's dictConfig calls it), the export
    thread would wait for that lock forever. A filter runs before the lock is taken.
    """
    return not context.get_value(_SUPPRESS_INSTRUMENTATION_KEY)


class OtlpLogHandler(logging.Handler):
    """A stdlib handler that formats with the standard and exports the result over OTLP/HTTP."""

    def __init__(self, service: str, endpoint: str, formatter: logging.Formatter) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self.provider = LoggerProvider(resource=Resource.create({"service.name": service}))
        self.provider.add_log_record_processor(
            BatchLogRecordProcessor(OTLPLogExporter(endpoint=endpoint, timeout=EXPORT_TIMEOUT_S))
        )
        self._logger = self.provider.get_logger("interlock.logging")
        self._closed = False
        self.addFilter(_not_from_an_export)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line: dict[str, Any] = json.loads(self.format(record))
            attributes = {
                k: v if isinstance(v, _ATTRIBUTE_TYPES) else json.dumps(v, default=str)
                for k, v in (line.get("attributes") or {}).items()
            }
            for key in ("exception.type", "exception.message", "exception.stacktrace"):
                if key in line:
                    attributes[key] = line[key]
            stamp = datetime.fromisoformat(line["timestamp"].replace("Z", "+00:00"))
            self._logger.emit(
                timestamp=int(stamp.timestamp() * 1_000_000_000),
                severity_number=SeverityNumber(line["severity_number"]),
                severity_text=line["severity_text"],
                body=str(line["body"]),
                attributes=attributes,
            )
        except Exception:  # a logging handler must never raise into the caller
            self.handleError(record)

    def flush(self) -> None:
        # logging.shutdown() flushes every handler ever made, closed ones too (uvicorn's
        # dictConfig calls it); a flush after shutdown would wait forever in the SDK.
        if not self._closed:
            self.provider.force_flush(timeout_millis=FLUSH_TIMEOUT_MS)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.provider.shutdown()
        super().close()
