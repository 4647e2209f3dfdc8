"""The broker's audit trail: every write (allowed or refused) with who, when, from where.

Rows are written after the response is known, so the status says what happened, by a
background writer that commits them in batches (every 0.2 s): a publish does not pay a
second commit. The server flushes the writer when it stops.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from interlock.broker.access import Caller
from interlock.broker.records import as_utc, now, rfc3339
from interlock.store.broker_access_schema import broker_audit


@dataclass(frozen=True)
class AuditEntry:
    """One write to the broker."""

    id: int
    occurred_at: datetime
    actor: str
    role: str | None
    client: str | None
    method: str
    path: str
    status: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "occurredAt": rfc3339(self.occurred_at),
            "actor": self.actor,
            "role": self.role,
            "client": self.client,
            "method": self.method,
            "path": self.path,
            "status": self.status,
        }


def _entry(caller: Caller, method: str, path: str, status: int) -> dict[str, Any]:
    return {
        "occurred_at": now(),
        "actor": caller.actor,
        "role": caller.role,
        "client": caller.client,
        "method": method.upper(),
        "path": path,
        "status": status,
    }


def record_write(engine: Engine, caller: Caller, method: str, path: str, status: int) -> None:
    """Add one write to the audit trail now."""
    with engine.begin() as connection:
        connection.execute(insert(broker_audit).values(_entry(caller, method, path, status)))


class AuditWriter:
    """Writes audit entries in batches from a background thread."""

    def __init__(self, interval_s: float = 0.2) -> None:
        self.interval_s = interval_s
        self._queue: queue.SimpleQueue[tuple[Engine, dict[str, Any]]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def add(self, engine: Engine, caller: Caller, method: str, path: str, status: int) -> None:
        """Queue one write for the trail (written within `interval_s`)."""
        self._queue.put((engine, _entry(caller, method, path, status)))
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="broker audit", daemon=True
                    )
                    self._thread.start()

    def flush(self) -> None:
        """Write everything queued so far."""
        batches: dict[Engine, list[dict[str, Any]]] = {}
        while True:
            try:
                engine, entry = self._queue.get_nowait()
            except queue.Empty:
                break
            batches.setdefault(engine, []).append(entry)
        for engine, entries in batches.items():
            with engine.begin() as connection:
                connection.execute(insert(broker_audit), entries)

    def close(self) -> None:
        """Stop the thread and write what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.flush()


def audit_trail(
    engine: Engine, limit: int = 100, writer: AuditWriter | None = None
) -> list[AuditEntry]:
    """The latest writes, newest first (those `writer` still holds written first)."""
    if writer is not None:
        writer.flush()
    with engine.connect() as connection:
        rows = connection.execute(
            select(broker_audit).order_by(broker_audit.c.id.desc()).limit(limit)
        ).mappings()
        return [
            AuditEntry(
                row["id"],
                as_utc(row["occurred_at"]),
                row["actor"],
                row["role"],
                row["client"],
                row["method"],
                row["path"],
                row["status"],
            )
            for row in rows
        ]
