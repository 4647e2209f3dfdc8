"""Telemetry: OTLP traces, logs and metrics in, the span store, trace queries and observed aggregates.

Other packages use only the names below (`query_fingerprints` feeds the migration checks).
"""

from __future__ import annotations

from interlock.telemetry.drift import DriftReport, EdgeState, check_observed, compare_topology
from interlock.telemetry.intake.aggregates import LATENCY_BUCKETS_MS, quantile_ms
from interlock.telemetry.intake.collector import create_collector_app, run_collector
from interlock.telemetry.intake.otlp import PayloadError
from interlock.telemetry.intake.routes import create_intake, mount_telemetry, open_span_store
from interlock.telemetry.intake.sql_fingerprint import fingerprint_sql
from interlock.telemetry.model import LogRecord, Span, SpanEvent, SpanKind, StatusCode
from interlock.telemetry.queries import (
    ObservedEdge,
    TraceView,
    observed_edges,
    open_store,
    parse_duration_s,
    search_traces,
    show_trace,
    since_unix_nano,
)
from interlock.telemetry.rca.diagnose import (
    Baseline,
    ServiceSuspect,
    Suspect,
    TraceDiagnosis,
    WindowDiagnosis,
    diagnose_trace,
    diagnose_window,
    format_time,
    parse_time_unix_nano,
    rca_trace,
    rca_window,
)
from interlock.telemetry.rca.log_templates import TemplateMiner, message_of
from interlock.telemetry.settings import TelemetrySettings
from interlock.telemetry.stores.interface import (
    AttributeFilter,
    EdgeStats,
    OperationStats,
    QueryFingerprint,
    SpanStore,
    StoreCounters,
    TraceQuery,
    TraceSummary,
)
from interlock.telemetry.stores.metric_store import MetricPoint, MetricStore
from interlock.telemetry.stores.sqlite import SQLiteSpanStore
from interlock.telemetry.views.logs import ServiceLogs
from interlock.telemetry.views.pages import (
    LiveMap,
    RedView,
    TraceNotFound,
    TraceSearch,
    live_map,
    service_logs_view,
    service_red_view,
    trace_search,
    trace_waterfall,
    window_rca,
)
from interlock.telemetry.views.rca import (
    OPERATION_HELP,
    SCORE_HELP,
    SuspectRow,
    no_baseline_advice,
    rca_view_json,
    suspect_rows,
)
from interlock.telemetry.views.red import WINDOWS, ServiceRed, service_red
from interlock.telemetry.views.traces import (
    SearchForm,
    Waterfall,
    WaterfallRow,
    format_ms,
    waterfall,
)


def query_fingerprints(store: SpanStore, service: str | None = None) -> list[QueryFingerprint]:
    """The normalized SQL statements each service (or one service) was seen running, with counts."""
    return store.query_fingerprints(service)


__all__ = [
    "LATENCY_BUCKETS_MS",
    "OPERATION_HELP",
    "SCORE_HELP",
    "WINDOWS",
    "AttributeFilter",
    "Baseline",
    "DriftReport",
    "EdgeState",
    "EdgeStats",
    "LiveMap",
    "LogRecord",
    "MetricPoint",
    "MetricStore",
    "ObservedEdge",
    "OperationStats",
    "PayloadError",
    "QueryFingerprint",
    "RedView",
    "SQLiteSpanStore",
    "SearchForm",
    "ServiceLogs",
    "ServiceRed",
    "ServiceSuspect",
    "Span",
    "SpanEvent",
    "SpanKind",
    "SpanStore",
    "StatusCode",
    "StoreCounters",
    "Suspect",
    "SuspectRow",
    "TelemetrySettings",
    "TemplateMiner",
    "TraceDiagnosis",
    "TraceNotFound",
    "TraceQuery",
    "TraceSearch",
    "TraceSummary",
    "TraceView",
    "Waterfall",
    "WaterfallRow",
    "WindowDiagnosis",
    "check_observed",
    "compare_topology",
    "create_collector_app",
    "create_intake",
    "diagnose_trace",
    "diagnose_window",
    "fingerprint_sql",
    "format_ms",
    "format_time",
    "live_map",
    "message_of",
    "mount_telemetry",
    "no_baseline_advice",
    "observed_edges",
    "open_span_store",
    "open_store",
    "parse_duration_s",
    "parse_time_unix_nano",
    "quantile_ms",
    "query_fingerprints",
    "rca_trace",
    "rca_view_json",
    "rca_window",
    "run_collector",
    "search_traces",
    "service_logs_view",
    "service_red",
    "service_red_view",
    "show_trace",
    "since_unix_nano",
    "suspect_rows",
    "trace_search",
    "trace_waterfall",
    "waterfall",
    "window_rca",
]
