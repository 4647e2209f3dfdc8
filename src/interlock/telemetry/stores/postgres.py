"""The team-server span store: the same tables in a PostgreSQL schema, written with COPY.

Several `interlock server` processes can share one database; aggregates merge by upsert.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from interlock.telemetry.intake.aggregates import AggregateDelta
from interlock.telemetry.model import LogRecord, Span
from interlock.telemetry.settings import TelemetrySettings
from interlock.telemetry.stores.interface import (
    EdgeStats,
    OperationStats,
    QueryFingerprint,
    TraceQuery,
    TraceSummary,
    WindowTraces,
)
from interlock.telemetry.stores.queued import QueuedSpanStore
from interlock.telemetry.stores.row_codec import (
    log_from_row,
    log_rows,
    span_from_row,
    span_rows,
    window_log_from_row,
    window_span_from_row,
)
from interlock.telemetry.stores.sql_filters import (
    POSTGRES,
    edges_query,
    operations_query,
    search_filter,
)
from interlock.telemetry.stores.window_sample import (
    SLACK_NS,
    UNTRACED_MODULUS,
    WARNING,
    group_window,
    id_threshold,
    untraced_cut,
    whole_traces,
)

SCHEMA = "interlock_telemetry"
_SPAN_COLUMNS = (
    "trace_id, span_id, parent_span_id, service, name, kind, start_ns, end_ns, duration_ns, "
    "status_code, status_message, attributes, resource, events, scope"
)
_LOG_COLUMNS = (
    "time_ns, observed_ns, trace_id, span_id, service, severity_number, severity_text, body, "
    "attributes, resource, event_name, scope"
)
_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
SET search_path TO {SCHEMA};
CREATE TABLE IF NOT EXISTS spans (
    trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_span_id TEXT,
    service TEXT NOT NULL, name TEXT NOT NULL, kind SMALLINT NOT NULL,
    start_ns BIGINT NOT NULL, end_ns BIGINT NOT NULL, duration_ns BIGINT NOT NULL,
    status_code SMALLINT NOT NULL, status_message TEXT NOT NULL,
    attributes JSONB NOT NULL, resource JSONB NOT NULL, events JSONB NOT NULL, scope TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS spans_by_trace ON spans (trace_id);
CREATE INDEX IF NOT EXISTS spans_by_service_time ON spans (service, start_ns);
CREATE INDEX IF NOT EXISTS spans_by_time ON spans USING brin (start_ns);
CREATE TABLE IF NOT EXISTS logs (
    time_ns BIGINT NOT NULL, observed_ns BIGINT NOT NULL, trace_id TEXT, span_id TEXT,
    service TEXT NOT NULL, severity_number SMALLINT NOT NULL, severity_text TEXT NOT NULL,
    body JSONB NOT NULL, attributes JSONB NOT NULL, resource JSONB NOT NULL,
    event_name TEXT NOT NULL, scope TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_by_trace ON logs (trace_id);
CREATE INDEX IF NOT EXISTS logs_by_service_time ON logs (service, time_ns);
CREATE INDEX IF NOT EXISTS logs_by_time ON logs USING brin (time_ns);
CREATE TABLE IF NOT EXISTS edge_minutes (
    caller TEXT NOT NULL, callee TEXT NOT NULL, callee_kind TEXT NOT NULL, minute BIGINT NOT NULL,
    calls BIGINT NOT NULL, errors BIGINT NOT NULL, total_ms DOUBLE PRECISION NOT NULL,
    histogram BIGINT[] NOT NULL, PRIMARY KEY (caller, callee, callee_kind, minute)
);
CREATE INDEX IF NOT EXISTS edge_minutes_by_time ON edge_minutes (minute);
CREATE TABLE IF NOT EXISTS operation_minutes (
    service TEXT NOT NULL, operation TEXT NOT NULL, minute BIGINT NOT NULL,
    calls BIGINT NOT NULL, errors BIGINT NOT NULL, total_ms DOUBLE PRECISION NOT NULL,
    histogram BIGINT[] NOT NULL, PRIMARY KEY (service, operation, minute)
);
CREATE INDEX IF NOT EXISTS operation_minutes_by_time ON operation_minutes (minute);
CREATE TABLE IF NOT EXISTS query_fingerprints (
    service TEXT NOT NULL, fingerprint TEXT NOT NULL, db_system TEXT NOT NULL,
    database TEXT NOT NULL, normalized TEXT NOT NULL, count BIGINT NOT NULL,
    first_seen_ns BIGINT NOT NULL, last_seen_ns BIGINT NOT NULL,
    PRIMARY KEY (service, fingerprint)
);
"""
# The time a row arrived, on the database's clock (the one all servers sharing it agree on):
# the start of the batch's transaction. `received_ns` came after the first release; added
# with this default (stable, not volatile), it gives the rows already there the time of the
# upgrade without rewriting the table, so they are kept one full retention period.
_NOW_NS = "(extract(epoch FROM now()) * 1000000000)::bigint"
_MERGE = """
ON CONFLICT ({keys}) DO UPDATE SET calls = {table}.calls + excluded.calls,
    errors = {table}.errors + excluded.errors, total_ms = {table}.total_ms + excluded.total_ms,
    histogram = ARRAY(SELECT a + b FROM unnest({table}.histogram, excluded.histogram) AS t(a, b))
"""
_JSON_COLUMNS_SPAN = (11, 12, 13)
_JSON_COLUMNS_LOG = (7, 8, 9)


def _pg_safe(row: tuple[Any, ...], json_columns: tuple[int, ...]) -> tuple[Any, ...]:
    # jsonb refuses the escaped NUL character that JSON allows; it carries no meaning here
    if not any("\\u0000" in row[i] for i in json_columns):
        return row
    return tuple(v.replace("\\u0000", "") if i in json_columns else v for i, v in enumerate(row))


class PostgresSpanStore(QueuedSpanStore[psycopg.Connection[Any]]):
    """A `SpanStore` in schema `interlock_telemetry` of a PostgreSQL database (a libpq URL)."""

    def __init__(self, url: str, settings: TelemetrySettings | None = None) -> None:
        super().__init__(settings or TelemetrySettings())
        self.url = url
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(74210)")  # two servers starting at once
            try:
                conn.execute(_DDL)
                _add_arrival_columns(conn)
            finally:
                conn.execute("SELECT pg_advisory_unlock(74210)")
        self._start()

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url, options=f"-c search_path={SCHEMA}")

    # --- writing (on the writer thread) --------------------------------------------------

    def _open_writer(self) -> psycopg.Connection[Any]:
        return self._connect()

    def _close_writer(self, conn: psycopg.Connection[Any]) -> None:
        conn.close()

    def _reconnect(self, conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
        if not conn.broken and not conn.closed:
            return conn
        try:
            return self._connect()
        except psycopg.OperationalError:  # still down: the next retry tries again
            return conn

    def _is_transient(self, error: Exception) -> bool:
        return isinstance(error, psycopg.OperationalError | psycopg.errors.LockNotAvailable)

    def _housekeeping(self, conn: psycopg.Connection[Any]) -> None:
        self._retain(conn)

    def apply_retention(self) -> int:
        """Delete spans and logs past the retention settings now; the number of spans deleted."""
        with self._connect() as conn:
            return self._retain(conn)

    def _retain(self, conn: psycopg.Connection[Any]) -> int:
        settings, deleted = self.settings, 0
        now_ns = time.time_ns()
        with conn.transaction():
            if settings.retention_hours > 0:
                # by arrival, not by the spans' own times: imported history stays as long
                window = (int(settings.retention_hours * 3_600_000_000_000),)
                for table in ("spans", "logs"):
                    cursor = conn.execute(
                        f"DELETE FROM {table} WHERE received_ns < {_NOW_NS} - %s", window
                    )
                    deleted += cursor.rowcount if table == "spans" else 0
            if settings.retention_max_spans > 0:
                # the first to arrive go first, as in SQLite; by start within one batch
                deleted += conn.execute(
                    "DELETE FROM spans WHERE (received_ns, start_ns) < (SELECT received_ns, "
                    "start_ns FROM spans ORDER BY received_ns DESC, start_ns DESC OFFSET %s LIMIT 1)",
                    (settings.retention_max_spans - 1,),
                ).rowcount
            if settings.aggregate_retention_days > 0:
                minute = now_ns // 1_000_000_000 - int(settings.aggregate_retention_days * 86_400)
                conn.execute("DELETE FROM edge_minutes WHERE minute < %s", (minute,))
                conn.execute("DELETE FROM operation_minutes WHERE minute < %s", (minute,))
        return deleted

    def _commit(
        self,
        conn: psycopg.Connection[Any],
        spans: list[Span],
        logs: list[LogRecord],
        delta: AggregateDelta,
    ) -> None:
        with conn.transaction(), conn.cursor() as cursor:
            if spans:
                with cursor.copy(f"COPY spans ({_SPAN_COLUMNS}) FROM STDIN") as copy:
                    for row in span_rows(spans):
                        copy.write_row(_pg_safe(row, _JSON_COLUMNS_SPAN))
            if logs:
                with cursor.copy(f"COPY logs ({_LOG_COLUMNS}) FROM STDIN") as copy:
                    for row in log_rows(logs):
                        copy.write_row(_pg_safe(row, _JSON_COLUMNS_LOG))
            if delta:
                _write_delta(cursor, delta)

    # --- reading -------------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[psycopg.Connection[Any]]:
        with self._connect() as conn:
            yield conn

    def get_trace(self, trace_id: str) -> list[Span]:
        """Every stored span of one trace, by start time."""
        with self._read() as conn:
            rows = conn.execute(
                _SPAN_SELECT + " WHERE trace_id = %s ORDER BY start_ns", (trace_id.lower(),)
            )
            return [span_from_row(row) for row in rows.fetchall()]

    def logs_for_trace(self, trace_id: str) -> list[LogRecord]:
        """The log records that carry this trace id, by time."""
        with self._read() as conn:
            rows = conn.execute(
                _LOG_SELECT + " WHERE trace_id = %s ORDER BY time_ns", (trace_id.lower(),)
            )
            return [log_from_row(row) for row in rows.fetchall()]

    def search(self, query: TraceQuery) -> list[TraceSummary]:
        """Traces with at least one span matching all of `query`, newest first."""
        where, params = search_filter(POSTGRES, query)
        sql = (
            f"SELECT trace_id, MIN(start_ns) AS first FROM spans WHERE {where} "
            "GROUP BY trace_id ORDER BY first DESC LIMIT %s"
        )
        with self._read() as conn:
            found = [row[0] for row in conn.execute(sql, (*params, query.limit)).fetchall()]
            return [_summary(conn, trace_id) for trace_id in found]

    def edges(
        self, start_unix_nano: int | None = None, end_unix_nano: int | None = None
    ) -> list[EdgeStats]:
        """Observed edges per minute in the window (minutes that start inside it)."""
        sql, params = edges_query(POSTGRES, start_unix_nano, end_unix_nano)
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [EdgeStats(r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6])) for r in rows]

    def operations(
        self,
        service: str | None = None,
        start_unix_nano: int | None = None,
        end_unix_nano: int | None = None,
    ) -> list[OperationStats]:
        """RED figures per service, operation and minute in the window."""
        sql, params = operations_query(POSTGRES, service, start_unix_nano, end_unix_nano)
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [OperationStats(r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6])) for r in rows]

    def span_count(self, start_unix_nano: int, end_unix_nano: int) -> int:
        """How many spans start in `[start, end)`."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT COUNT(*) FROM spans WHERE start_ns >= %s AND start_ns < %s",
                (start_unix_nano, end_unix_nano),
            ).fetchone()
        return int(row[0]) if row else 0

    def traces_in_window(
        self, start_unix_nano: int, end_unix_nano: int, share: float = 1.0
    ) -> WindowTraces:
        """The traces that start in `[start, end)`, a `share` of them by trace id, and the
        failing ones outside it (see `window_sample`)."""
        threshold = id_threshold(share)
        where = "start_ns >= %s AND start_ns < %s"
        params: tuple[Any, ...] = (start_unix_nano - SLACK_NS, end_unix_nano + SLACK_NS)
        if threshold is not None:
            where += ' AND (substr(trace_id, 25, 8) COLLATE "C" < %s OR status_code = 2)'
            params += (threshold,)
        with self._read() as conn:
            rows = conn.execute(f"{_WINDOW_SELECT} WHERE {where}", params).fetchall()
            traces, failing_ids = group_window(
                map(window_span_from_row, rows), start_unix_nano, end_unix_nano, threshold
            )
            found = []
            if failing_ids:
                found = conn.execute(
                    f"{_WINDOW_SELECT} WHERE trace_id = ANY(%s)", (failing_ids,)
                ).fetchall()
        failing = whole_traces(map(window_span_from_row, found), start_unix_nano, end_unix_nano)
        return WindowTraces(traces, failing, min(1.0, share))

    def logs_in_window(
        self, start_unix_nano: int, end_unix_nano: int, share: float = 1.0, limit: int = 200_000
    ) -> list[LogRecord]:
        """Log records in `[start, end)` by time, with or without a trace: a `share` of them
        (by trace id, or by time when they have none) and every warning or error."""
        threshold = id_threshold(share)
        where = "time_ns >= %s AND time_ns < %s"
        params: tuple[Any, ...] = (start_unix_nano, end_unix_nano)
        if threshold is not None:
            traced = "COALESCE(trace_id, '') != ''"
            where += (
                f" AND (severity_number >= {WARNING} OR ({traced} AND "
                'substr(trace_id, 25, 8) COLLATE "C" < %s) OR '
                f"(NOT {traced} AND time_ns %% {UNTRACED_MODULUS} < %s))"
            )
            params += (threshold, untraced_cut(share))
        with self._read() as conn:
            rows = conn.execute(
                f"{_LOG_SELECT} WHERE {where} ORDER BY time_ns LIMIT %s", (*params, limit)
            ).fetchall()
        return [window_log_from_row(row) for row in rows]

    def query_fingerprints(self, service: str | None = None) -> list[QueryFingerprint]:
        """The normalized SQL each service runs, most frequent first."""
        where, params = ("service = %s", (service,)) if service is not None else ("TRUE", ())
        with self._read() as conn:
            rows = conn.execute(
                "SELECT service, db_system, database, fingerprint, normalized, count, first_seen_ns, "
                f"last_seen_ns FROM query_fingerprints WHERE {where} ORDER BY service, count DESC",
                params,
            ).fetchall()
        return [QueryFingerprint(*row) for row in rows]


def _add_arrival_columns(conn: psycopg.Connection[Any]) -> None:
    """Give `spans` and `logs` their `received_ns` (a store made before it existed, too)."""
    present = {
        row[0]
        for row in conn.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = %s AND column_name = 'received_ns'",
            (SCHEMA,),
        )
    }
    for table in ("spans", "logs"):
        if table not in present:  # checked first: ALTER TABLE would lock out readers even then
            conn.execute(
                f"ALTER TABLE {table} ADD COLUMN received_ns BIGINT NOT NULL DEFAULT {_NOW_NS}"
            )
        conn.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_by_arrival ON {table} USING brin (received_ns)"
        )


_SPAN_SELECT = (
    "SELECT trace_id, span_id, parent_span_id, service, name, kind, start_ns, end_ns, duration_ns, "
    "status_code, status_message, attributes::text, resource::text, events::text, scope FROM spans"
)
_WINDOW_SELECT = (
    "SELECT trace_id, span_id, parent_span_id, service, name, kind, start_ns, end_ns, "
    "status_code, status_message, attributes::text FROM spans"
)
_LOG_SELECT = (
    "SELECT time_ns, observed_ns, trace_id, span_id, service, severity_number, severity_text, "
    "body::text, attributes::text, resource::text, event_name, scope FROM logs"
)


def _write_delta(cursor: psycopg.Cursor[Any], delta: AggregateDelta) -> None:
    if delta.edges:
        cursor.executemany(
            "INSERT INTO edge_minutes VALUES (%s,%s,%s,%s,%s,%s,%s,%s)"
            + _MERGE.format(keys="caller, callee, callee_kind, minute", table="edge_minutes"),
            [(*key, c.calls, c.errors, c.total_ms, c.histogram) for key, c in delta.edges.items()],
        )
    if delta.operations:
        cursor.executemany(
            "INSERT INTO operation_minutes VALUES (%s,%s,%s,%s,%s,%s,%s)"
            + _MERGE.format(keys="service, operation, minute", table="operation_minutes"),
            [
                (*key, c.calls, c.errors, c.total_ms, c.histogram)
                for key, c in delta.operations.items()
            ],
        )
    if delta.fingerprints:
        cursor.executemany(
            "INSERT INTO query_fingerprints VALUES (%s,%s,%s,%s,%s,%s,%s,%s) "
            "ON CONFLICT (service, fingerprint) DO UPDATE SET "
            "count = query_fingerprints.count + excluded.count, "
            "first_seen_ns = LEAST(query_fingerprints.first_seen_ns, excluded.first_seen_ns), "
            "last_seen_ns = GREATEST(query_fingerprints.last_seen_ns, excluded.last_seen_ns)",
            [
                (
                    service,
                    fp,
                    f.db_system,
                    f.database,
                    f.normalized,
                    f.count,
                    f.first_seen,
                    f.last_seen,
                )
                for (service, fp), f in delta.fingerprints.items()
            ],
        )


def _summary(conn: psycopg.Connection[Any], trace_id: str) -> TraceSummary:
    row = conn.execute(
        "SELECT MIN(start_ns), MAX(end_ns), COUNT(*), COUNT(*) FILTER (WHERE status_code = 2), "
        "array_agg(DISTINCT service ORDER BY service) FROM spans WHERE trace_id = %s",
        (trace_id,),
    ).fetchone()
    root = conn.execute(
        "SELECT service, name FROM spans WHERE trace_id = %s "
        "ORDER BY parent_span_id IS NOT NULL, start_ns LIMIT 1",
        (trace_id,),
    ).fetchone()
    assert row is not None and root is not None  # the trace was just found
    first, last, count, errors, services = row
    return TraceSummary(
        trace_id=trace_id,
        root_service=root[0],
        root_name=root[1],
        start_unix_nano=first,
        duration_ms=(last - first) / 1_000_000,
        span_count=count,
        error_count=errors,
        services=tuple(services),
    )
