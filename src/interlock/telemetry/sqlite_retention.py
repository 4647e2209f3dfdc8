"""Retention for the SQLite span store: by age and by count, run by the writer once a minute.

Rows are appended in arrival order, so rowid ranges stand in for time ranges: no extra index to keep.
"""

from __future__ import annotations

import sqlite3

from interlock.telemetry.settings import TelemetrySettings

_NS_PER_HOUR = 3_600_000_000_000


def _first_rowid_at_or_after(
    conn: sqlite3.Connection, table: str, column: str, cutoff: int
) -> int | None:
    """Binary search over rowids for the first row whose time is at or after `cutoff`.

    Assumes rows arrive roughly in time order, which holds for a live intake; a late straggler
    only moves the boundary by a few rows.
    """
    low, high = conn.execute(f"SELECT MIN(rowid), MAX(rowid) FROM {table}").fetchone()
    if low is None:
        return None
    while low < high:
        middle = (low + high) // 2
        row = conn.execute(
            f"SELECT rowid, {column} FROM {table} WHERE rowid >= ? ORDER BY rowid LIMIT 1",
            (middle,),
        ).fetchone()
        if row[1] < cutoff:
            low = row[0] + 1
        else:
            high = middle
    return int(low)


def apply_retention(conn: sqlite3.Connection, settings: TelemetrySettings, now_ns: int) -> int:
    """Delete what the settings no longer keep, in one transaction; the number of spans deleted."""
    deleted = 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        if settings.retention_hours > 0:
            cutoff = now_ns - int(settings.retention_hours * _NS_PER_HOUR)
            for table, column in (("spans", "start_ns"), ("logs", "time_ns")):
                boundary = _first_rowid_at_or_after(conn, table, column, cutoff)
                if boundary is not None:
                    cursor = conn.execute(f"DELETE FROM {table} WHERE rowid < ?", (boundary,))
                    deleted += cursor.rowcount if table == "spans" else 0
        if settings.retention_max_spans > 0:
            cursor = conn.execute(
                "DELETE FROM spans WHERE rowid <= (SELECT MAX(rowid) FROM spans) - ?",
                (settings.retention_max_spans,),
            )
            deleted += cursor.rowcount
        if settings.aggregate_retention_days > 0:
            minute = (now_ns // 1_000_000_000) - int(settings.aggregate_retention_days * 86_400)
            conn.execute("DELETE FROM edge_minutes WHERE minute < ?", (minute,))
            conn.execute("DELETE FROM operation_minutes WHERE minute < ?", (minute,))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return deleted
