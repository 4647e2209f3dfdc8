"""The optional OTLP side of the logging standard: each standard line also sent as a log record.

Uses the OpenTelemetry SDK's OTLP/HTTP log exporter behind a batching processor.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource

_ATTRIBUTE_TYPES = (str, bool, int, float)


class OtlpLogHandler(logging.Handler):
    """A stdlib handler that formats with the standard and exports the result over OTLP/HTTP."""

    def __init__(self, service: str, endpoint: str, formatter: logging.Formatter) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self.provider = LoggerProvider(resource=Resource.create({"service.name": service}))
        self.provider.add_log_record_processor(
            BatchLogRecordProcessor(OTLPLogExporter(endpoint=endpoint))
        )
        self._logger = self.provider.get_logger("interlock.logging")

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
        self.provider.force_flush()

    def close(self) -> None:
        self.provider.shutdown()
        super().close()
