"""The shop services on Interlock's logging standard: JSON lines on stdout, one per request.

Records also go over OTLP to `OTEL_EXPORTER_OTLP_ENDPOINT` (beside the spans) when it is set.
"""

from __future__ import annotations

import logging
import os
import time

from interlock.logging import configure

REQUESTS = logging.getLogger("shop.requests")


def setup_logging(service: str) -> None:
    """Standard log lines for this process; exported to `$OTEL_EXPORTER_OTLP_ENDPOINT/v1/logs`."""
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    configure(
        service=service,
        level=os.environ.get("LOG_LEVEL", "info").upper(),
        otlp_endpoint=f"{endpoint.rstrip('/')}/v1/logs" if endpoint else None,
    )
    logging.getLogger("uvicorn.error").addFilter(_drop_color_message)


def _drop_color_message(record: logging.LogRecord) -> bool:
    """uvicorn adds a copy of the message with terminal colour codes: not log data."""
    record.__dict__.pop("color_message", None)
    return True


def log_request(
    method: str,
    path: str,
    route: str | None,
    status: int,
    started: float,
    failure: Exception | None = None,
) -> None:
    """One line for a handled request (inside its span, so it carries the trace and span ids).

    A 5xx answer or an exception is logged at ERROR, with the exception when there is one.
    """
    if path == "/health":
        return  # probes every 100 ms while starting: noise, not traffic
    attributes = {
        "http.request.method": method,
        "url.path": path,
        "http.response.status_code": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
    }
    if route:
        attributes["http.route"] = route
    message = f"{method} {path} {status}"
    if failure is not None:
        REQUESTS.error(message, exc_info=failure, extra=attributes)
    elif status >= 500:
        REQUESTS.error(message, extra=attributes)
    else:
        REQUESTS.info(message, extra=attributes)
