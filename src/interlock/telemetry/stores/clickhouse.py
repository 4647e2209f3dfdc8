"""The span store beyond one machine: ClickHouse, in the OpenTelemetry Collector exporter's schema.

Collectors with the ClickHouse exporter write the same tables with no Interlock process on
the way; aggregates are materialized views inside ClickHouse, so this store only writes rows.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from interlock.telemetry.intake.aggregates import AggregateDelta
from interlock.telemetry.intake.sql_fingerprint import fingerprint_sql
from interlock.telemetry.model import LogRecord, Span
from interlock.telemetry.settings import TelemetrySettings
from interlock.telemetry.stores.clickhouse_aggregates import (
    IS_ERROR,
    edges_sql,
    operations_sql,
    shapes_sql,
)
from interlock.telemetry.stores.clickhouse_connection import (
    ClickHouseConnection,
    ClickHouseError,
    connect,
    parse_location,
    quote,
)
from interlock.telemetry.stores.clickhouse_init import check_schema
from interlock.telemetry.stores.clickhouse_rows import (
    LOG_COLUMNS,
    LOG_SELECT,
    SPAN_SELECT,
    TRACE_COLUMNS,
    log_of,
    log_payload,
    span_of,
    span_payload,
)
from interlock.telemetry.stores.clickhouse_schema import ARRIVAL
from interlock.telemetry.stores.interface import (
    EdgeStats,
    OperationStats,
    QueryFingerprint,
    TraceQuery,
    TraceSummary,
    WindowTraces,
)
from interlock.telemetry.stores.queued import QueuedSpanStore
from interlock.telemetry.stores.window_sample import (
    SLACK_NS,
    UNTRACED_MODULUS,
    WARNING,
    group_window,
    id_threshold,
    untraced_cut,
    whole_traces,
)

_NS = 1_000_000_000


class ClickHouseSpanStore(QueuedSpanStore[ClickHouseConnection]):
    """A `SpanStore` on ClickHouse (`clickhouse://host:8123/db`, or `chdb:///dir` in process)."""

    def __init__(self, url: str, settings: TelemetrySettings | None = None) -> None:
        super().__init__(settings or TelemetrySettings())
        self.location = parse_location(url)
        self.url = url
        self._conn = connect(self.location)
        check_schema(self._conn)  # never made here: `interlock telemetry init-store` does it
        self.db = self.location.database
        self._start()

    # --- writing (on the writer thread) --------------------------------------------------

    def _open_writer(self) -> ClickHouseConnection:
        return self._conn

    def _close_writer(self, conn: ClickHouseConnection) -> None:
        conn.close()

    def _is_transient(self, error: Exception) -> bool:
        # a server that restarts or is out of reach; the chdb engine in process never is
        return self.location.path is None and isinstance(error, ClickHouseError | OSError)

    def _housekeeping(self, conn: ClickHouseConnection) -> None:
        """Nothing: TTLs on arrival keep the time limit inside ClickHouse.

        The cap on the number of spans (`retention_max_spans`) is applied by
        `apply_retention` only: counting a cluster's spans every minute would cost more
        than the cap saves, where TTLs and partitions by day keep the size.
        """

    def _write(self, batch: list[tuple[str, Sequence[Any]]]) -> None:
        """Store the sampled spans; the others go through a Null table to the aggregate views."""
        spans = [s for kind, items in batch if kind == "spans" for s in items]
        logs = [r for kind, items in batch if kind == "logs" for r in items]
        kept = self._sampler.select(spans)
        dropped: list[Span] = []
        if len(kept) < len(spans):
            kept_ids = {id(s) for s in kept}
            dropped = [s for s in spans if id(s) not in kept_ids]
        while True:
            try:
                self._commit_rows(kept, dropped, logs)
                break
            except Exception as error:
                if not self._is_transient(error):
                    raise
                time.sleep(0.5)
        self._counters.spans_stored += len(kept)
        self._counters.logs_stored += len(logs)

    def _commit(
        self,
        conn: ClickHouseConnection,
        spans: list[Span],
        logs: list[LogRecord],
        delta: AggregateDelta,
    ) -> None:
        self._commit_rows(spans, [], logs)

    def _commit_rows(self, kept: list[Span], dropped: list[Span], logs: list[LogRecord]) -> None:
        if kept:
            self._conn.insert("otel_traces", TRACE_COLUMNS, span_payload(kept))
        if dropped:
            self._conn.insert("interlock_unsampled_spans", TRACE_COLUMNS, span_payload(dropped))
        if logs:
            self._conn.insert("otel_logs", LOG_COLUMNS, log_payload(logs))

    def apply_retention(self) -> int:
        """Delete spans and logs past the retention settings now; the number of spans deleted."""
        deleted = 0
        if self.settings.retention_hours > 0:
            window = int(self.settings.retention_hours * 3_600_000)
            old = f"{ARRIVAL} < now64(3) - toIntervalMillisecond({window})"
            deleted += self._delete("otel_traces", old)
            self._delete("otel_logs", old)
        if self.settings.retention_max_spans > 0:
            deleted += self._cap(self._conn)
        if self.settings.aggregate_retention_days > 0:
            minute = time.time_ns() // _NS - int(self.settings.aggregate_retention_days * 86_400)
            for table in ("interlock_operation_minutes", "interlock_calls"):
                self._delete(table, f"Minute < {minute}")
        return deleted

    def _delete(self, table: str, where: str) -> int:
        count = int(self._conn.rows(f"SELECT count() FROM {self.db}.{table} WHERE {where}")[0][0])
        if count:
            self._conn.command(f"DELETE FROM {self.db}.{table} WHERE {where}")
        return count

    def _cap(self, conn: ClickHouseConnection) -> int:
        """Keep the newest `retention_max_spans` by arrival (by start within one arrival)."""
        rows = conn.rows(
            f"SELECT {ARRIVAL}, toUnixTimestamp64Nano(Timestamp) FROM {self.db}.otel_traces "
            f"ORDER BY {ARRIVAL} DESC, Timestamp DESC LIMIT 1 OFFSET {self.settings.retention_max_spans - 1}"
        )
        if not rows:
            return 0
        arrival, start = rows[0]
        return self._delete(
            "otel_traces",
            f"({ARRIVAL}, toUnixTimestamp64Nano(Timestamp)) < (toDateTime64({quote(arrival)}, 3), {start})",
        )

    # --- reading -------------------------------------------------------------------------

    def get_trace(self, trace_id: str) -> list[Span]:
        """Every stored span of one trace, by start time (the exporter's trace-id table first)."""
        return [
            span_of(row) for row in self._conn.rows(self._trace_sql(SPAN_SELECT, trace_id.lower()))
        ]

    def _trace_sql(self, select: str, trace_id: str) -> str:
        literal = quote(trace_id)
        # the time range from the lookup table lets ClickHouse skip every other day and part
        bounds = (
            f"WITH (SELECT (min(Start), max(End) + 1) FROM {self.db}.otel_traces_trace_id_ts "
            f"WHERE TraceId = {literal}) AS bounds "
        )
        return (
            f"{bounds}{select} FROM {self.db}.otel_traces WHERE TraceId = {literal} "
            "AND Timestamp >= bounds.1 AND Timestamp <= bounds.2 ORDER BY Timestamp"
        )

    def logs_for_trace(self, trace_id: str) -> list[LogRecord]:
        """The log records that carry this trace id, by time."""
        rows = self._conn.rows(
            f"{LOG_SELECT} FROM {self.db}.otel_logs WHERE TraceId = {quote(trace_id.lower())} "
            "ORDER BY Timestamp"
        )
        return [log_of(row) for row in rows]

    def search(self, query: TraceQuery) -> list[TraceSummary]:
        """Traces with at least one span matching all of `query`, newest first."""
        found = self._conn.rows(
            f"SELECT TraceId, min(Timestamp) AS first FROM {self.db}.otel_traces "
            f"WHERE {_search_filter(query)} GROUP BY TraceId ORDER BY first DESC LIMIT {int(query.limit)}"
        )
        if not found:
            return []
        ids = ", ".join(quote(row[0]) for row in found)
        first = min(row[1] for row in found)
        rows = self._conn.rows(
            "SELECT TraceId, min(toUnixTimestamp64Nano(Timestamp)), "
            "max(toUnixTimestamp64Nano(Timestamp) + Duration), count(), "
            f"countIf({IS_ERROR}), arraySort(groupUniqArray(toString(ServiceName))), "
            "argMin((toString(ServiceName), toString(SpanName)), (ParentSpanId != '', Timestamp)) "
            f"FROM {self.db}.otel_traces WHERE TraceId IN ({ids}) "
            f"AND Timestamp >= toDateTime64({quote(first)}, 9) - INTERVAL 1 DAY GROUP BY TraceId"
        )
        summaries = {
            row[0]: TraceSummary(
                trace_id=row[0],
                root_service=row[6][0],
                root_name=row[6][1],
                start_unix_nano=row[1],
                duration_ms=(row[2] - row[1]) / 1_000_000,
                span_count=row[3],
                error_count=row[4],
                services=tuple(row[5]),
            )
            for row in rows
        }
        return [summaries[row[0]] for row in found if row[0] in summaries]

    def edges(
        self, start_unix_nano: int | None = None, end_unix_nano: int | None = None
    ) -> list[EdgeStats]:
        """Observed edges per minute in the window (minutes that start inside it)."""
        slack = 60 * (1 + int(self.settings.pairing_horizon_s) // 60 + 1)
        rows = self._conn.rows(edges_sql(self.db, start_unix_nano, end_unix_nano, slack))
        return [EdgeStats(r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6])) for r in rows]

    def operations(
        self,
        service: str | None = None,
        start_unix_nano: int | None = None,
        end_unix_nano: int | None = None,
    ) -> list[OperationStats]:
        """RED figures per service, operation and minute in the window."""
        literal = None if service is None else quote(service)
        rows = self._conn.rows(operations_sql(self.db, literal, start_unix_nano, end_unix_nano))
        return [
            OperationStats(r[0], r[1], r[2], r[3], r[4], float(r[5]), tuple(r[6])) for r in rows
        ]

    def span_count(self, start_unix_nano: int, end_unix_nano: int) -> int:
        """How many spans start in `[start, end)`."""
        rows = self._conn.rows(
            f"SELECT count() FROM {self.db}.otel_traces WHERE {_between(start_unix_nano, end_unix_nano)}"
        )
        return int(rows[0][0]) if rows else 0

    def traces_in_window(
        self, start_unix_nano: int, end_unix_nano: int, share: float = 1.0
    ) -> WindowTraces:
        """The traces that start in `[start, end)`, a `share` of them by trace id, and the
        failing ones outside it (see `window_sample`)."""
        threshold = id_threshold(share)
        where = _between(start_unix_nano - SLACK_NS, end_unix_nano + SLACK_NS)
        table = f"{self.db}.otel_traces"
        sample = (
            ""
            if threshold is None
            else (f" AND (substring(TraceId, 25, 8) < {quote(threshold)} OR {IS_ERROR})")
        )
        rows = self._conn.rows(f"{SPAN_SELECT} FROM {table} WHERE {where}{sample}")
        traces, failing_ids = group_window(
            map(span_of, rows), start_unix_nano, end_unix_nano, threshold
        )
        failing: list[list[Span]] = []
        if failing_ids:
            ids = ", ".join(quote(t) for t in failing_ids)
            found = self._conn.rows(
                f"{SPAN_SELECT} FROM {table} WHERE {where} AND TraceId IN ({ids})"
            )
            failing = whole_traces(map(span_of, found), start_unix_nano, end_unix_nano)
        return WindowTraces(traces, failing, min(1.0, share))

    def logs_in_window(
        self, start_unix_nano: int, end_unix_nano: int, share: float = 1.0, limit: int = 200_000
    ) -> list[LogRecord]:
        """Log records in `[start, end)` by time, with or without a trace: a `share` of them
        (by trace id, or by time when they have none) and every warning or error."""
        threshold = id_threshold(share)
        where = _between(start_unix_nano, end_unix_nano)
        if threshold is not None:
            where += (
                f" AND (SeverityNumber >= {WARNING} OR (TraceId != '' AND "
                f"substring(TraceId, 25, 8) < {quote(threshold)}) OR (TraceId = '' AND "
                f"toUnixTimestamp64Nano(Timestamp) % {UNTRACED_MODULUS} < {untraced_cut(share)}))"
            )
        rows = self._conn.rows(
            f"{LOG_SELECT} FROM {self.db}.otel_logs WHERE {where} ORDER BY Timestamp "
            f"LIMIT {int(limit)}"
        )
        return [log_of(row) for row in rows]

    def query_fingerprints(self, service: str | None = None) -> list[QueryFingerprint]:
        """The normalized SQL each service runs, most frequent first.

        ClickHouse groups statements by shape; each shape's example is fingerprinted here,
        by the same function as the other stores, and shapes with one fingerprint merged.
        """
        literal = None if service is None else quote(service)
        merged: dict[tuple[str, str], list[Any]] = {}
        for svc, _, system, database, example, count, first, last in self._conn.rows(
            shapes_sql(self.db, literal)
        ):
            fingerprint, normalized = fingerprint_sql(example)
            entry = merged.get((svc, fingerprint))
            if entry is None:
                merged[(svc, fingerprint)] = [system, database, normalized, count, first, last]
            else:
                entry[3] += count
                entry[4], entry[5] = min(entry[4], first), max(entry[5], last)
        found = [
            QueryFingerprint(svc, e[0], e[1], fp, e[2], e[3], e[4], e[5])
            for (svc, fp), e in merged.items()
        ]
        return sorted(found, key=lambda f: (f.service, -f.count))


def _between(start_unix_nano: int, end_unix_nano: int) -> str:
    return (
        f"Timestamp >= fromUnixTimestamp64Nano({int(start_unix_nano)}) "
        f"AND Timestamp < fromUnixTimestamp64Nano({int(end_unix_nano)})"
    )


def _search_filter(query: TraceQuery) -> str:
    """The WHERE clause of a trace search (the same filters as `sql_filters.search_filter`)."""
    clauses = ["1"]
    if query.service is not None:
        clauses.append(f"ServiceName = {quote(query.service)}")
    if query.operation is not None:
        clauses.append(f"SpanName = {quote(query.operation)}")
    if query.status is not None:
        from interlock.telemetry.stores.clickhouse_aggregates import STATUS_NAMES

        names = ", ".join(quote(n) for n in STATUS_NAMES[int(query.status)])
        clauses.append(f"StatusCode IN ({names})")
    if query.min_duration_ms is not None:
        clauses.append(f"Duration >= {int(query.min_duration_ms * 1e6)}")
    if query.max_duration_ms is not None:
        clauses.append(f"Duration <= {int(query.max_duration_ms * 1e6)}")
    if query.start_unix_nano is not None:
        clauses.append(f"Timestamp >= fromUnixTimestamp64Nano({int(query.start_unix_nano)})")
    if query.end_unix_nano is not None:
        clauses.append(f"Timestamp < fromUnixTimestamp64Nano({int(query.end_unix_nano)})")
    for attribute in query.attributes:
        key = quote(attribute.key)
        value = f"if(mapContains(SpanAttributes, {key}), SpanAttributes[{key}], ResourceAttributes[{key}])"
        if attribute.substring:
            clauses.append(f"position({value}, {quote(attribute.value)}) > 0")
        else:
            clauses.append(f"{value} = {quote(attribute.value)}")
    return " AND ".join(clauses)
