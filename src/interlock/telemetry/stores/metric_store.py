"""OTLP metric points kept in their own SQLite file (`metrics.db`), with bounded retention.

Gauges and sums keep their value; a histogram keeps its count, sum and buckets and its mean as
the value. Points go after `retention_hours` (by their time) and past `max_points` (oldest first).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS metric_points (
    service TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, unit TEXT NOT NULL,
    time_ns INTEGER NOT NULL, value REAL NOT NULL, count INTEGER NOT NULL, sum REAL NOT NULL,
    bounds TEXT NOT NULL, counts TEXT NOT NULL, attributes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS metric_points_by_time ON metric_points (time_ns);
CREATE INDEX IF NOT EXISTS metric_points_by_series ON metric_points (service, name, time_ns);
"""
_NS_PER_HOUR = 3_600_000_000_000
_RETENTION_EVERY = 50  # writes between retention passes


@dataclass(slots=True)
class MetricPoint:
    """One data point of one metric of one service."""

    service: str
    name: str
    kind: str  # gauge | sum | histogram
    unit: str
    time_unix_nano: int
    value: float
    attributes: dict[str, Any] = field(default_factory=dict)
    count: int = 0
    sum: float = 0.0
    bounds: tuple[float, ...] = ()
    counts: tuple[int, ...] = ()


def points_from_gauges(rows: Iterable[tuple[str, str, str, int, float]]) -> list[MetricPoint]:
    """Gauge points from `(service, name, unit, time, value)` rows."""
    return [MetricPoint(s, n, "gauge", u, t, v) for s, n, u, t, v in rows]


class MetricStore:
    """Metric points in one SQLite file; safe to call from several threads."""

    def __init__(
        self, path: Path, retention_hours: float = 72.0, max_points: int = 5_000_000
    ) -> None:
        self.path = path
        self.retention_hours = retention_hours
        self.max_points = max_points
        self._lock = threading.Lock()
        self._writes = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    def write(self, points: Sequence[MetricPoint]) -> None:
        """Store `points`; every few writes, apply retention."""
        rows = [
            (
                p.service, p.name, p.kind, p.unit, p.time_unix_nano, p.value, p.count, p.sum,
                json.dumps(list(p.bounds)), json.dumps(list(p.counts)),
                json.dumps(p.attributes, default=str),
            )
            for p in points
        ]  # fmt: skip
        with self._lock:
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany("INSERT INTO metric_points VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
                conn.execute("COMMIT")
                self._writes += 1
                if self._writes % _RETENTION_EVERY == 1:
                    self._retain(conn, time.time_ns())
            finally:
                conn.close()

    def apply_retention(self, now_unix_nano: int | None = None) -> int:
        """Delete points past the retention now; the number deleted."""
        with self._lock:
            conn = self._connect()
            try:
                return self._retain(conn, now_unix_nano or time.time_ns())
            finally:
                conn.close()

    def _retain(self, conn: sqlite3.Connection, now: int) -> int:
        deleted = 0
        if self.retention_hours > 0:
            limit = now - int(self.retention_hours * _NS_PER_HOUR)
            deleted += conn.execute(
                "DELETE FROM metric_points WHERE time_ns < ?", (limit,)
            ).rowcount
        total = conn.execute("SELECT COUNT(*) FROM metric_points").fetchone()[0]
        if self.max_points and total > self.max_points:
            deleted += conn.execute(
                "DELETE FROM metric_points WHERE rowid IN "
                "(SELECT rowid FROM metric_points ORDER BY time_ns LIMIT ?)",
                (total - self.max_points,),
            ).rowcount
        return deleted

    def points(
        self, start_unix_nano: int, end_unix_nano: int, service: str | None = None
    ) -> list[MetricPoint]:
        """The points in `[start, end)`, of one service when given, by time."""
        where = "time_ns >= ? AND time_ns < ?"
        params: list[Any] = [start_unix_nano, end_unix_nano]
        if service is not None:
            where += " AND service = ?"
            params.append(service)
        conn = self._connect()
        try:
            rows = conn.execute(
                f"SELECT * FROM metric_points WHERE {where} ORDER BY time_ns", params
            ).fetchall()
        finally:
            conn.close()
        return [
            MetricPoint(
                r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[10]), r[6], r[7],
                tuple(json.loads(r[8])), tuple(json.loads(r[9])),
            )
            for r in rows
        ]  # fmt: skip

    def series(
        self, start_unix_nano: int, end_unix_nano: int
    ) -> dict[tuple[str, str], list[tuple[int, float]]]:
        """`(service, metric name)` → `(time, value)` in `[start, end)`, by time."""
        found: dict[tuple[str, str], list[tuple[int, float]]] = {}
        conn = self._connect()
        try:
            rows = conn.execute(
                "SELECT service, name, time_ns, value FROM metric_points "
                "WHERE time_ns >= ? AND time_ns < ? ORDER BY time_ns",
                (start_unix_nano, end_unix_nano),
            ).fetchall()
        finally:
            conn.close()
        for service, name, at, value in rows:
            found.setdefault((service, name), []).append((at, value))
        return found

    def close(self) -> None:
        """Nothing stays open between calls; here for symmetry with the span stores."""
