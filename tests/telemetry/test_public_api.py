"""The names other packages may use from `interlock.telemetry` and `interlock.logging`."""

from __future__ import annotations

import interlock.logging
import interlock.telemetry

TELEMETRY = {
    "AttributeFilter", "EdgeStats", "LogRecord", "OperationStats", "QueryFingerprint",
    "SQLiteSpanStore", "Span", "SpanKind", "SpanStore", "StatusCode", "TelemetrySettings",
    "TraceQuery", "TraceSummary", "create_intake", "mount_telemetry", "query_fingerprints",
    "search_traces", "show_trace",
}  # fmt: skip
LOGGING = {"configure", "check_log_lines", "check_log_file", "LogCheckReport", "LogViolation"}


def test_telemetry_exports_its_public_names() -> None:
    """Other capabilities (migrations, the server, RCA) rely on these names staying."""
    assert TELEMETRY <= set(interlock.telemetry.__all__)
    assert all(hasattr(interlock.telemetry, name) for name in interlock.telemetry.__all__)


def test_logging_exports_its_public_names() -> None:
    assert LOGGING <= set(interlock.logging.__all__)
    assert all(hasattr(interlock.logging, name) for name in interlock.logging.__all__)
