"""The telemetry knobs, read once into one typed object shared by intake, store and sampling.

Defaults suit a laptop; `interlock collector` flags and `INTERLOCK_TELEMETRY_*` override them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from interlock.errors import UserInputError


@dataclass(frozen=True)
class TelemetrySettings:
    """Limits of the intake, the write queue, sampling and caller/callee pairing."""

    data_dir: Path = Path(".interlock")
    max_body_bytes: int = 32 * 1024 * 1024  # decompressed request body; more gets 413
    attribute_limit: int = 8192  # longer string values are cut to this many characters
    # spans + log records waiting for the writer (~200 MB at most); more than one write
    # transaction's worth, so that the writer can gather a full one while requests go on
    queue_max_items: int = 100_000
    # items per write transaction: the trace index takes random keys, so each commit writes
    # every index page it touched, and larger commits touch each page for more rows
    batch_max_items: int = 50_000
    retry_after_s: int = 1  # told to clients when the queue is full
    sample_rate: float = 1.0  # share of ordinary traces kept (errors and slow ones always)
    slow_ms: float = 1000.0  # a trace with a span this slow is always kept
    pairing_horizon_s: float = 30.0  # how long a CLIENT span waits for its SERVER span
    retention_hours: float = 72.0  # spans and logs go this long after arrival (0 keeps all)
    retention_max_spans: int = 10_000_000  # beyond this many spans the first received go (0: none)
    aggregate_retention_days: float = 30.0  # edges, RED minutes (fingerprints are kept)
    # the span store: postgresql://... for a team server, clickhouse://host:8123/db or
    # chdb:///dir beyond one machine; empty: SQLite in data_dir
    database_url: str = ""
    # ClickHouse DDL (`interlock telemetry init-store`): ON CLUSTER this cluster, Replicated*
    # engines, and `<table>_local` per shard behind a Distributed `<table>`
    clickhouse_cluster: str = ""
    clickhouse_replicated: bool = False
    clickhouse_distributed: bool = False
    # SQLite only: decode in the HTTP process, aggregate and write in a second process, so
    # ingest uses two cores (`interlock collector` turns it on; the server keeps one process)
    writer_process: bool = False

    @property
    def spans_path(self) -> Path:
        return self.data_dir / "spans.db"

    def with_environment(self, environ: dict[str, str] | None = None) -> TelemetrySettings:
        """These settings with `INTERLOCK_TELEMETRY_<FIELD>` variables applied."""
        env = os.environ if environ is None else environ
        changes: dict[str, object] = {}
        for f in fields(self):
            name = f"INTERLOCK_TELEMETRY_{f.name.upper()}"
            if name not in env:
                continue
            raw = env[name]
            current = getattr(self, f.name)
            try:
                changes[f.name] = _boolean(raw) if isinstance(current, bool) else type(current)(raw)
            except ValueError:
                kind = type(current).__name__
                raise UserInputError(f"environment {name}={raw!r}: expected a {kind}") from None
        return replace(self, **changes)  # type: ignore[arg-type]  # fields checked above


def _boolean(raw: str) -> bool:
    word = raw.strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(raw)
