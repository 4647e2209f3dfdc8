"""The default span store: one SQLite file in WAL mode, written by one thread in batches.

Requests only enqueue; a bounded queue pushes back when full, and `close()` flushes what is left.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
    WINDOW_SPAN_COLUMNS,
    log_from_row,
    log_rows,
    span_from_row,
    span_rows,
    window_log_from_row,
    window_span_from_row,
)
from interlock.telemetry.stores.sql_filters import (
    SQLITE,
    edges_query,
    operations_query,
    search_filter,
)
from interlock.telemetry.stores.sqlite_retention import (
    ARRIVALS_SCHEMA,
    account_for_unrecorded,
    apply_retention,
    record_arrival,
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

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spans (
    trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_span_id TEXT,
    service TEXT NOT NULL, name TEXT NOT NULL, kind INTEGER NOT NULL,
    start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL, duration_ns INTEGER NOT NULL,
    status_code INTEGER NOT NULL, status_message TEXT NOT NULL,
    attributes TEXT NOT NULL, resource TEXT NOT NULL, events TEXT NOT NULL, scope TEXT NOT NULL
);
DROP INDEX IF EXISTS spans_by_trace;
CREATE INDEX IF NOT EXISTS spans_by_trace_prefix ON spans (substr(trace_id, 1, 8));
CREATE INDEX IF NOT EXISTS spans_by_service_time ON spans (service, start_ns);
CREATE TABLE IF NOT EXISTS logs (
    time_ns INTEGER NOT NULL, observed_ns INTEGER NOT NULL, trace_id TEXT, span_id TEXT,
    service TEXT NOT NULL, severity_number INTEGER NOT NULL, severity_text TEXT NOT NULL,
    body TEXT NOT NULL, attributes TEXT NOT NULL, resource TEXT NOT NULL,
    event_name TEXT NOT NULL, scope TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_by_trace ON logs (trace_id);
CREATE INDEX IF NOT EXISTS logs_by_service_time ON logs (service, time_ns);
CREATE TABLE IF NOT EXISTS edge_minutes (
    caller TEXT NOT NULL, callee TEXT NOT NULL, callee_kind TEXT NOT NULL, minute INTEGER NOT NULL,
    calls INTEGER NOT NULL, errors INTEGER NOT NULL, total_ms REAL NOT NULL, histogram TEXT NOT NULL,
    PRIMARY KEY (caller, callee, callee_kind, minute)
);
CREATE INDEX IF NOT EXISTS edge_minutes_by_time ON edge_minutes (minute);
CREATE TABLE IF NOT EXISTS operation_minutes (
    service TEXT NOT NULL, operation TEXT NOT NULL, minute INTEGER NOT NULL,
    calls INTEGER NOT NULL, errors INTEGER NOT NULL, total_ms REAL NOT NULL, histogram TEXT NOT NULL,
    PRIMARY KEY (service, operation, minute)
);
CREATE INDEX IF NOT EXISTS operation_minutes_by_time ON operation_minutes (minute);
CREATE TABLE IF NOT EXISTS query_fingerprints (
    service TEXT NOT NULL, fingerprint TEXT NOT NULL, db_system TEXT NOT NULL,
    database TEXT NOT NULL, normalized TEXT NOT NULL, count INTEGER NOT NULL,
    first_seen_ns INTEGER NOT NULL, last_seen_ns INTEGER NOT NULL,
    PRIMARY KEY (service, fingerprint)
);
"""

_COUNTS_UPSERT = """
ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, errors = errors + excluded.errors,
    total_ms = total_ms + excluded.total_ms, histogram = histogram_add(histogram, excluded.histogram)
"""


# Spans are found by trace through the first 8 hex digits of the id: trace ids are random, so
# every insert lands on a random page of this index, and each commit writes every page it
# touched. An index a third of the size of one on the whole id is touched on a third of
# the pages (measured: inserts into 1.5 million spans 53k -> 81k rows/s). A prefix shared
# by two traces costs one extra row read. (`+trace_id` keeps SQLite from substituting the
# id into `substr(trace_id, ...)`, which would hide the indexed expression.)
BY_TRACE = "substr(trace_id, 1, 8) = ? AND +trace_id = ?"


def trace_args(trace_id: str) -> tuple[str, str]:
    """The parameters of `BY_TRACE`."""
    return trace_id[:8], trace_id


_INSERT_SPAN = "INSERT INTO spans VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
_INSERT_LOG = "INSERT INTO logs VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"


def _histogram_add(left: str, right: str) -> str:
    return json.dumps([a + b for a, b in zip(json.loads(left), json.loads(right), strict=True)])


class SQLiteSpanStore(QueuedSpanStore[sqlite3.Connection]):
    """A `SpanStore` on one SQLite file; spans are written off the request path."""

    def __init__(self, path: Path, settings: TelemetrySettings | None = None) -> None:
        super().__init__(settings or TelemetrySettings(data_dir=path.parent))
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._connect()
        try:  # the schema exists before the first request
            conn.executescript(_SCHEMA + ARRIVALS_SCHEMA)
            account_for_unrecorded(conn, time.time_ns())
        finally:
            conn.close()
        self._start()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # durable at each WAL checkpoint, safe on crash
        conn.execute("PRAGMA busy_timeout=5000")
        return conn

    # --- writing (on the writer thread) --------------------------------------------------

    def _open_writer(self) -> sqlite3.Connection:
        return connect_writer(self.path)

    def _close_writer(self, conn: sqlite3.Connection) -> None:
        conn.close()

    def _is_transient(self, error: Exception) -> bool:
        return is_transient(error)

    def _housekeeping(self, conn: sqlite3.Connection) -> None:
        apply_retention(conn, self.settings, time.time_ns())

    def apply_retention(self) -> int:
        """Delete spans and logs past the retention settings now; the number of spans deleted."""
        conn = self._connect()
        try:
            return apply_retention(conn, self.settings, time.time_ns())
        finally:
            conn.close()

    def _commit(
        self,
        conn: sqlite3.Connection,
        spans: list[Span],
        logs: list[LogRecord],
        delta: AggregateDelta,
    ) -> None:
        write_batch(conn, span_rows(spans) if spans else (), log_rows(logs) if logs else (), delta)

    # --- reading -------------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, check_same_thread=False)
        try:
            conn.execute("PRAGMA query_only=1")
            yield conn
        finally:
            conn.close()

    def get_trace(self, trace_id: str) -> list[Span]:
        """Every stored span of one trace, by start time."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT * FROM spans WHERE {BY_TRACE} ORDER BY start_ns",
                trace_args(trace_id.lower()),
            ).fetchall()
        return [span_from_row(row) for row in rows]

    def logs_for_trace(self, trace_id: str) -> list[LogRecord]:
        """The log records that carry this trace id, by time."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM logs WHERE trace_id = ? ORDER BY time_ns", (trace_id.lower(),)
            ).fetchall()
        return [log_from_row(row) for row in rows]

    def search(self, query: TraceQuery) -> list[TraceSummary]:
        """Traces with at least one span matching all of `query`, newest first."""
        where, params = search_filter(SQLITE, query)
        sql = (
            f"SELECT trace_id, MIN(start_ns) AS first FROM spans WHERE {where} "
            "GROUP BY trace_id ORDER BY first DESC LIMIT ?"
        )
        with self._read() as conn:
            found = [row[0] for row in conn.execute(sql, (*params, query.limit))]
            return [_summary(conn, trace_id) for trace_id in found]

    def edges(
        self, start_unix_nano: int | None = None, end_unix_nano: int | None = None
    ) -> list[EdgeStats]:
        """Observed edges per minute in the window (minutes that start inside it)."""
        sql, params = edges_query(SQLITE, start_unix_nano, end_unix_nano)
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [
            EdgeStats(r[0], r[1], r[2], r[3], r[4], r[5], tuple(json.loads(r[6]))) for r in rows
        ]

    def operations(
        self,
        service: str | None = None,
        start_unix_nano: int | None = None,
        end_unix_nano: int | None = None,
    ) -> list[OperationStats]:
        """RED figures per service, operation and minute in the window."""
        sql, params = operations_query(SQLITE, service, start_unix_nano, end_unix_nano)
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [
            OperationStats(r[0], r[1], r[2], r[3], r[4], r[5], tuple(json.loads(r[6])))
            for r in rows
        ]

    def span_count(self, start_unix_nano: int, end_unix_nano: int) -> int:
        """How many spans start in `[start, end)` (from the index alone)."""
        with self._read() as conn:
            where, params = _in_window(conn, "spans", "start_ns", start_unix_nano, end_unix_nano)
            count: int = conn.execute(
                f"SELECT COUNT(*) FROM spans WHERE {where}", params
            ).fetchone()[0]
        return count

    def traces_in_window(
        self, start_unix_nano: int, end_unix_nano: int, share: float = 1.0
    ) -> WindowTraces:
        """The traces that start in `[start, end)`, a `share` of them by trace id, and the
        failing ones outside it (see `window_sample`); one scan of the window's index range."""
        threshold = id_threshold(share)
        with self._read() as conn:
            window, params = _in_window(
                conn, "spans", "start_ns", start_unix_nano - SLACK_NS, end_unix_nano + SLACK_NS
            )
            sample = ""
            if threshold is not None:
                sample = " AND (substr(trace_id, 25, 8) < ? OR status_code = 2)"
                params += (threshold,)
            # the rows in the order they were stored, not service by service: each page of
            # the table is then read once (measured: a third less time than the index order)
            rows = conn.execute(
                f"SELECT {WINDOW_SPAN_COLUMNS} FROM spans WHERE rowid IN "
                f"(SELECT rowid FROM spans WHERE {window}){sample}",
                params,
            )
            traces, failing_ids = group_window(
                map(window_span_from_row, rows), start_unix_nano, end_unix_nano, threshold
            )
            spans = []
            for trace_id in failing_ids:
                spans += conn.execute(
                    f"SELECT {WINDOW_SPAN_COLUMNS} FROM spans WHERE {BY_TRACE}",
                    trace_args(trace_id),
                ).fetchall()
        failing = whole_traces(map(window_span_from_row, spans), start_unix_nano, end_unix_nano)
        return WindowTraces(traces, failing, min(1.0, share))

    def logs_in_window(
        self, start_unix_nano: int, end_unix_nano: int, share: float = 1.0, limit: int = 200_000
    ) -> list[LogRecord]:
        """Log records in `[start, end)` by time, with or without a trace: a `share` of them
        (by trace id, or by time when they have none) and every warning or error."""
        threshold = id_threshold(share)
        with self._read() as conn:
            where, params = _in_window(conn, "logs", "time_ns", start_unix_nano, end_unix_nano)
            if threshold is not None:
                where += (
                    f" AND (severity_number >= {WARNING} OR (COALESCE(trace_id, '') != '' AND "
                    "substr(trace_id, 25, 8) < ?) OR (COALESCE(trace_id, '') = '' AND "
                    f"time_ns % {UNTRACED_MODULUS} < ?))"
                )
                params += (threshold, untraced_cut(share))
            rows = conn.execute(
                f"SELECT * FROM logs WHERE {where} ORDER BY time_ns LIMIT ?", (*params, limit)
            ).fetchall()
        return [window_log_from_row(row) for row in rows]

    def query_fingerprints(self, service: str | None = None) -> list[QueryFingerprint]:
        """The normalized SQL each service runs, most frequent first."""
        where, params = ("service = ?", (service,)) if service is not None else ("1", ())
        with self._read() as conn:
            rows = conn.execute(
                "SELECT service, db_system, database, fingerprint, normalized, count, first_seen_ns, "
                f"last_seen_ns FROM query_fingerprints WHERE {where} ORDER BY service, count DESC",
                params,
            ).fetchall()
        return [QueryFingerprint(*row) for row in rows]


def _in_window(
    conn: sqlite3.Connection, table: str, column: str, start: int, end: int
) -> tuple[str, tuple[Any, ...]]:
    """A WHERE clause for `start <= column < end` that SQLite answers from the
    `(service, time)` index: one range per service, the services found by skipping through
    the index (one seek each) rather than by adding a time index that every insert would pay.
    """
    services = [
        row[0]
        for row in conn.execute(
            f"WITH RECURSIVE s(name) AS (SELECT MIN(service) FROM {table} UNION ALL "
            f"SELECT (SELECT MIN(service) FROM {table} WHERE service > s.name) FROM s "
            "WHERE s.name IS NOT NULL) SELECT name FROM s WHERE name IS NOT NULL"
        )
    ]
    marks = ",".join("?" * len(services))
    return f"service IN ({marks}) AND {column} >= ? AND {column} < ?", (*services, start, end)


def is_transient(error: Exception) -> bool:
    """True for SQLite errors worth waiting out: a lock held elsewhere, a full disk."""
    text = str(error)
    return isinstance(error, sqlite3.OperationalError) and any(
        word in text for word in ("locked", "busy", "disk is full", "disk I/O error")
    )


def connect_writer(path: Path) -> sqlite3.Connection:
    """A connection for the one writer of `path` (WAL, synchronous=NORMAL, a busy timeout)."""
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    # under WAL, NORMAL syncs at checkpoints: a committed batch survives a crash of the
    # process, and the last batches before a power loss may be rolled back (never corrupted)
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=5000")
    # the two span indexes take random keys (trace ids): a larger page cache keeps their
    # upper levels in memory, and checkpoints every ~32 MiB of WAL instead of every 4 MiB
    # copy each hot page back once per many batches instead of once per batch
    conn.execute("PRAGMA cache_size=-65536")
    conn.execute("PRAGMA wal_autocheckpoint=8192")
    conn.create_function("histogram_add", 2, _histogram_add, deterministic=True)
    return conn


def write_batch(
    conn: sqlite3.Connection,
    spans: Iterable[tuple[Any, ...]],
    logs: Iterable[tuple[Any, ...]],
    delta: AggregateDelta,
) -> None:
    """Insert span rows, log rows, their arrival and the aggregate delta in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        spans_added = conn.executemany(_INSERT_SPAN, spans).rowcount > 0
        logs_added = conn.executemany(_INSERT_LOG, logs).rowcount > 0
        record_arrival(conn, time.time_ns(), spans_added, logs_added)
        if delta:
            _write_delta(conn, delta)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _write_delta(conn: sqlite3.Connection, delta: AggregateDelta) -> None:
    conn.executemany(
        f"INSERT INTO edge_minutes VALUES (?,?,?,?,?,?,?,?) {_COUNTS_UPSERT}",
        [
            (*key, c.calls, c.errors, c.total_ms, json.dumps(c.histogram))
            for key, c in delta.edges.items()
        ],
    )
    conn.executemany(
        f"INSERT INTO operation_minutes VALUES (?,?,?,?,?,?,?) {_COUNTS_UPSERT}",
        [
            (*key, c.calls, c.errors, c.total_ms, json.dumps(c.histogram))
            for key, c in delta.operations.items()
        ],
    )
    conn.executemany(
        "INSERT INTO query_fingerprints VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO UPDATE SET "
        "count = count + excluded.count, first_seen_ns = MIN(first_seen_ns, excluded.first_seen_ns), "
        "last_seen_ns = MAX(last_seen_ns, excluded.last_seen_ns)",
        [
            (service, fp, f.db_system, f.database, f.normalized, f.count, f.first_seen, f.last_seen)
            for (service, fp), f in delta.fingerprints.items()
        ],
    )


def _summary(conn: sqlite3.Connection, trace_id: str) -> TraceSummary:
    first, last, count, errors = conn.execute(
        "SELECT MIN(start_ns), MAX(end_ns), COUNT(*), SUM(status_code = 2) "
        f"FROM spans WHERE {BY_TRACE}",
        trace_args(trace_id),
    ).fetchone()
    root = conn.execute(
        f"SELECT service, name FROM spans WHERE {BY_TRACE} "
        "ORDER BY parent_span_id IS NOT NULL, start_ns LIMIT 1",
        trace_args(trace_id),
    ).fetchone()
    services = [
        r[0]
        for r in conn.execute(
            f"SELECT DISTINCT service FROM spans WHERE {BY_TRACE} ORDER BY 1", trace_args(trace_id)
        )
    ]
    return TraceSummary(
        trace_id=trace_id,
        root_service=root[0],
        root_name=root[1],
        start_unix_nano=first,
        duration_ms=(last - first) / 1_000_000,
        span_count=count,
        error_count=errors or 0,
        services=tuple(services),
    )
