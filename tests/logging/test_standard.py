"""`interlock.logging.configure`: standard JSON lines from structlog and stdlib callers."""

from __future__ import annotations

import io
import json
import logging
import threading
import weakref
from typing import Any

import pytest
import structlog
from opentelemetry.sdk.trace import TracerProvider

from interlock.logging import check_log_lines, configure


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_structlog_call_gives_a_standard_line_with_trace_context() -> None:
    stream = io.StringIO()
    configure(service="orders", stream=stream)
    with TracerProvider().get_tracer("tests").start_as_current_span("place") as span:
        structlog.get_logger("orders.api").info("order placed", order_id=3, total=9.5)
        context = span.get_span_context()
    [line] = _lines(stream)
    assert {
        "severity_text": "INFO",
        "severity_number": 9,
        "body": "order placed",
        "service.name": "orders",
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
        "attributes": {"order_id": 3, "total": 9.5, "logger.name": "orders.api"},
    } == {k: v for k, v in line.items() if k != "timestamp"}
    assert line["timestamp"].endswith("Z")


def test_stdlib_call_gives_the_same_shape_with_extras() -> None:
    stream = io.StringIO()
    configure(service="orders", stream=stream)
    logging.getLogger("legacy").warning("stock low for %s", "sku-1", extra={"sku": "sku-1"})
    [line] = _lines(stream)
    assert ("WARN", 13, "stock low for sku-1") == (
        line["severity_text"],
        line["severity_number"],
        line["body"],
    )
    assert {"sku": "sku-1", "logger.name": "legacy"} == line["attributes"]
    assert "trace_id" not in line


@pytest.mark.parametrize("use_structlog", [True, False])
def test_errors_carry_exception_fields(use_structlog: bool) -> None:
    stream = io.StringIO()
    configure(service="orders", stream=stream)
    try:
        raise KeyError("sku-9")
    except KeyError:
        if use_structlog:
            structlog.get_logger().exception("lookup failed")
        else:
            logging.getLogger("legacy").exception("lookup failed")
    [line] = _lines(stream)
    assert ("ERROR", 17, "KeyError", "'sku-9'") == (
        line["severity_text"],
        line["severity_number"],
        line["exception.type"],
        line["exception.message"],
    )
    assert "Traceback" in line["exception.stacktrace"]


def test_level_filters_both_kinds_of_caller() -> None:
    stream = io.StringIO()
    configure(service="orders", stream=stream, level="WARNING")
    structlog.get_logger().info("quiet")
    logging.getLogger("x").info("quiet too")
    structlog.get_logger().error("loud")
    assert ["loud"] == [line["body"] for line in _lines(stream)]


def test_configure_twice_keeps_one_handler() -> None:
    stream = io.StringIO()
    configure(service="orders", stream=io.StringIO())
    configure(service="orders", stream=stream)
    structlog.get_logger().info("once")
    assert 1 == len(_lines(stream))


def test_output_passes_the_checker() -> None:
    stream = io.StringIO()
    configure(service="orders", stream=stream)
    with TracerProvider().get_tracer("tests").start_as_current_span("s"):
        structlog.get_logger().info("a", n=1)
        logging.getLogger("y").warning("b")
    try:
        1 / 0  # noqa: B018 - the error is the point
    except ZeroDivisionError:
        structlog.get_logger().exception("c")
    report = check_log_lines(stream.getvalue().splitlines())
    assert [] == report.violations


@pytest.mark.server
def test_records_are_also_exported_over_otlp(collector: Any) -> None:
    """With `otlp_endpoint`, the same records reach a collector, with their trace id."""
    stream = io.StringIO()
    configure(service="orders", stream=stream, otlp_endpoint=f"{collector.url}/v1/logs")
    with TracerProvider().get_tracer("tests").start_as_current_span("s") as span:
        structlog.get_logger().warning("exported", order_id=5)
        trace_id = format(span.get_span_context().trace_id, "032x")
    for handler in logging.getLogger().handlers:
        handler.flush()
    collector.store.flush()
    [record] = collector.store.logs_for_trace(trace_id)
    assert ("orders", "exported", "WARN", 5) == (
        record.service,
        record.body,
        record.severity_text,
        record.attributes["order_id"],
    )


def test_a_collector_that_is_down_does_not_hold_a_flush() -> None:
    """The exporter logs its failures; were those records exported too, each failed export
    would queue another and logging.shutdown() (uvicorn's dictConfig calls it) would never end."""
    configure(service="orders", stream=io.StringIO(), otlp_endpoint="http://127.0.0.1:9/v1/logs")
    structlog.get_logger().warning("nobody listens")
    handlers = [h for h in logging.getLogger().handlers if type(h).__name__ == "OtlpLogHandler"]
    refs = [weakref.ref(h) for h in handlers]
    done = threading.Thread(target=logging.shutdown, args=(refs,), daemon=True)
    done.start()
    done.join(timeout=60)  # a hang, not a speed: before the fix this never returned
    assert not done.is_alive()


def test_what_the_exporter_logs_while_exporting_is_not_taken_back() -> None:
    """Records logged during an export (the SDK marks that context) are filtered out before
    the handler's lock is taken: logging.shutdown() holds that lock while it flushes, and the
    export thread logging its failure into the same handler would wait for it forever."""
    from opentelemetry import context
    from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY

    from interlock.logging.export import OtlpLogHandler

    handler = OtlpLogHandler("orders", "http://127.0.0.1:9/v1/logs", logging.Formatter())
    record = logging.LogRecord(
        "urllib3.connectionpool", logging.WARNING, __file__, 1, "retrying", None, None
    )
    assert handler.filter(record)
    token = context.attach(context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
    try:
        assert not handler.filter(record)
    finally:
        context.detach(token)
        handler.close()
