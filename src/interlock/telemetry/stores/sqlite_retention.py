"""Retention for the SQLite span store: by time of arrival and by count, run by the writer.

Rows are appended in arrival order, so rowid ranges stand in for arrival times: the table
`arrivals` says, per second, the last span and log rowid committed by then (no index on spans).
"""

from __future__ import annotations

import sqlite3

from interlock.telemetry.settings import TelemetrySettings

_NS_PER_S = 1_000_000_000
_NS_PER_HOUR = 3_600 * _NS_PER_S

# Age counts from arrival, not from the spans' own timestamps: a trace imported from last
# month (an incident replayed, a data set) is kept as long as one that arrived live.
ARRIVALS_SCHEMA = """
CREATE TABLE IF NOT EXISTS arrivals (
    second INTEGER PRIMARY KEY, last_span_rowid INTEGER, last_log_rowid INTEGER
);
"""

# NULL when the batch had none: a logs-only batch must not claim the spans' last rowid,
# which SQLite hands out again once every span is deleted
_RECORD_ARRIVAL = """
INSERT INTO arrivals VALUES (
    ?, CASE WHEN ? THEN (SELECT MAX(rowid) FROM spans) END,
    CASE WHEN ? THEN (SELECT MAX(rowid) FROM logs) END
) ON CONFLICT (second) DO UPDATE SET
    last_span_rowid = COALESCE(excluded.last_span_rowid, last_span_rowid),
    last_log_rowid = COALESCE(excluded.last_log_rowid, last_log_rowid)
"""


def record_arrival(conn: sqlite3.Connection, now_ns: int, spans: bool, logs: bool) -> None:
    """Note, inside the batch's transaction, that the rows just inserted arrived at `now_ns`."""
    if spans or logs:
        conn.execute(_RECORD_ARRIVAL, (now_ns // _NS_PER_S, spans, logs))


def account_for_unrecorded(conn: sqlite3.Connection, now_ns: int) -> None:
    """Count rows no arrival covers (written before `arrivals` existed) as arriving now.

    Their real arrival is unknown; now keeps them one full retention period, never less.
    """
    conn.execute(
        """
        INSERT INTO arrivals
        SELECT ?, CASE WHEN spans > COALESCE(known_spans, 0) THEN spans END,
               CASE WHEN logs > COALESCE(known_logs, 0) THEN logs END
        FROM (SELECT (SELECT MAX(rowid) FROM spans) AS spans, (SELECT MAX(rowid) FROM logs) AS logs,
                     MAX(last_span_rowid) AS known_spans, MAX(last_log_rowid) AS known_logs
              FROM arrivals)
        WHERE spans > COALESCE(known_spans, 0) OR logs > COALESCE(known_logs, 0)
        ON CONFLICT (second) DO UPDATE SET
            last_span_rowid = COALESCE(excluded.last_span_rowid, last_span_rowid),
            last_log_rowid = COALESCE(excluded.last_log_rowid, last_log_rowid)
        """,
        (now_ns // _NS_PER_S,),
    )


def apply_retention(conn: sqlite3.Connection, settings: TelemetrySettings, now_ns: int) -> int:
    """Delete what the settings no longer keep, in one transaction; the number of spans deleted."""
    deleted = 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        if settings.retention_hours > 0:
            deleted += _delete_arrived_before(
                conn, now_ns - int(settings.retention_hours * _NS_PER_HOUR)
            )
        if settings.retention_max_spans > 0:
            cursor = conn.execute(
                "DELETE FROM spans WHERE rowid <= (SELECT MAX(rowid) FROM spans) - ?",
                (settings.retention_max_spans,),
            )
            deleted += cursor.rowcount
        if settings.aggregate_retention_days > 0:
            minute = (now_ns // _NS_PER_S) - int(settings.aggregate_retention_days * 86_400)
            conn.execute("DELETE FROM edge_minutes WHERE minute < ?", (minute,))
            conn.execute("DELETE FROM operation_minutes WHERE minute < ?", (minute,))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return deleted


def _delete_arrived_before(conn: sqlite3.Connection, cutoff_ns: int) -> int:
    # a second's row covers arrivals up to its end: it goes once all of that second is past
    # the cutoff, so nothing is deleted early and nothing outlives the window by over a second
    cutoff_s = cutoff_ns // _NS_PER_S
    last_span, last_log = conn.execute(
        "SELECT MAX(last_span_rowid), MAX(last_log_rowid) FROM arrivals WHERE second < ?",
        (cutoff_s,),
    ).fetchone()
    deleted = 0
    if last_span is not None:
        deleted = conn.execute("DELETE FROM spans WHERE rowid <= ?", (last_span,)).rowcount
    if last_log is not None:
        conn.execute("DELETE FROM logs WHERE rowid <= ?", (last_log,))
    conn.execute("DELETE FROM arrivals WHERE second < ?", (cutoff_s,))
    return deleted
