"""Load test runs (migration 0004): one row per run, one per operation of a run.

`perf check` reads the runs of one service at one commit (index on service, commit); the
dashboard lists a service's runs by time (index on service, started_at).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from interlock.store.columns import belongs_to, moment, serial_id
from interlock.store.schema import metadata

perf_runs = Table(
    "perf_runs",
    metadata,
    serial_id(),
    Column("service", String(255), nullable=False),
    Column("commit", String(255), nullable=False),
    Column("target", Text, nullable=False),
    Column("source", Text, nullable=False),
    moment("started_at"),
    Column("duration_s", Float, nullable=False),
    Column("target_rate", Float, nullable=False),
    Column("achieved_rate", Float, nullable=False),
    Column("requests", Integer, nullable=False),
    Column("errors", Integer, nullable=False),
    Column("timeline", JSON, nullable=False),
    Column("generator", JSON, nullable=False),
    Column("span_profile", JSON, nullable=True),  # migration 0007; None: no traces were read
    Index(None, "service", "commit"),
    Index(None, "service", "started_at"),
)

perf_operations = Table(
    "perf_operations",
    metadata,
    serial_id(),
    belongs_to("run_id", "perf_runs"),
    Column("operation", String(512), nullable=False),
    Column("requests", Integer, nullable=False),
    Column("errors", Integer, nullable=False),
    Column("p50_ms", Float, nullable=False),
    Column("p95_ms", Float, nullable=False),
    Column("p99_ms", Float, nullable=False),
    Column("max_ms", Float, nullable=False),
    Column("histogram", JSON, nullable=False),
    Column("service_histogram", JSON, nullable=False),
    Column("statuses", JSON, nullable=False),
    UniqueConstraint("run_id", "operation"),
)
