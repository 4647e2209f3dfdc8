"""What `migrate apply` was asked to do and what it did: options, per-statement progress,
retries, verifications, rollbacks, and the report that the CLI, the dashboard and the
incidents view read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from interlock.contracts import ContractQuery
from interlock.migrations.apply_guard import Blocker

if TYPE_CHECKING:
    from interlock.migrations.apply_watch import ErrorRateWatch

Event = dict[str, Any]
EventSink = Callable[[Event], None]


@dataclass(frozen=True)
class ApplyOptions:
    """The guard rails and the verification of one apply.

    A lock not granted within `lock_timeout_ms` (or a long transaction found holding a
    conflicting lock before the statement is sent) is retried up to `retries` times, waiting
    an exponential backoff from `backoff_ms` up to `backoff_cap_ms`, with jitter.
    """

    lock_timeout_ms: int = 2000
    statement_timeout_ms: int = 300_000
    retries: int = 5
    backoff_ms: float = 500.0
    backoff_cap_ms: float = 15_000.0
    long_transaction_ms: float = 1000.0
    rollback: bool = True
    contracts: tuple[ContractQuery, ...] = ()
    health_urls: tuple[str, ...] = ()
    health_timeout_s: float = 5.0
    from_version: str | None = None
    seed: int | None = None  # the jitter's random seed (tests); None: unpredictable
    watch: ErrorRateWatch | None = None  # the consumers' error rate after each migration

    def to_json(self) -> dict[str, Any]:
        return {
            "lock_timeout_ms": self.lock_timeout_ms,
            "statement_timeout_ms": self.statement_timeout_ms,
            "retries": self.retries,
            "backoff_ms": self.backoff_ms,
            "backoff_cap_ms": self.backoff_cap_ms,
            "long_transaction_ms": self.long_transaction_ms,
            "rollback": self.rollback,
            "contracts": len(self.contracts),
            "health_urls": list(self.health_urls),
            "watch_seconds": self.watch.seconds if self.watch else 0,
            "watched_services": list(self.watch.services) if self.watch else [],
        }


class Status(StrEnum):
    """Where one migration ended."""

    applied = "applied"
    rolled_back = "rolled back"  # failed or failed verification, and undone
    failed = "failed"  # failed and left as it is (--no-rollback, or the undo failed)
    not_run = "not run"  # an earlier migration stopped the run


@dataclass
class StatementResult:
    """One statement run: its place, how long, rows touched, the locks it held."""

    migration: str
    file: str
    line: int
    sql: str
    in_transaction: bool
    attempt: int
    direction: str = "up"
    duration_ms: float = 0.0
    rows: int | None = None
    locks: list[str] = field(default_factory=list)  # "ACCESS EXCLUSIVE public.products"
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "migration": self.migration,
            "direction": self.direction,
            "file": self.file,
            "line": self.line,
            "sql": self.sql,
            "in_transaction": self.in_transaction,
            "attempt": self.attempt,
            "duration_ms": round(self.duration_ms, 3),
            "rows": self.rows,
            "locks": self.locks,
            "error": self.error,
        }


@dataclass(frozen=True)
class Retry:
    """A lock not granted (or a long transaction in the way): waited `wait_ms`, tried again."""

    migration: str
    file: str
    line: int
    attempt: int  # the attempt that failed
    reason: str  # "lock timeout", "deadlock", "long transaction"
    wait_ms: float
    blockers: tuple[Blocker, ...] = ()
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "migration": self.migration,
            "file": self.file,
            "line": self.line,
            "attempt": self.attempt,
            "reason": self.reason,
            "wait_ms": round(self.wait_ms),
            "blockers": [b.to_json() for b in self.blockers],
            "error": self.error,
        }


@dataclass(frozen=True)
class Verification:
    """One check after a migration: a consumer's contract query, or a service's health URL."""

    kind: str  # "contract", "health" or "error-rate"
    name: str  # consumer/query, the URL, or "<service> error rate"
    ok: bool
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "ok": self.ok, "error": self.error}


@dataclass
class MigrationResult:
    """One migration's run: its statements, retries, verification and any undo."""

    version: str
    name: str
    file: str
    in_transaction: bool
    status: Status = Status.not_run
    statements: list[StatementResult] = field(default_factory=list)
    retries: list[Retry] = field(default_factory=list)
    verification: list[Verification] = field(default_factory=list)
    error: str | None = None
    rollback: str | None = None  # what the undo did, in a sentence
    dropped_invalid_indexes: list[str] = field(default_factory=list)
    duration_ms: float = 0.0

    @property
    def failed_verification(self) -> list[Verification]:
        return [v for v in self.verification if not v.ok]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "name": self.name,
            "file": self.file,
            "in_transaction": self.in_transaction,
            "status": str(self.status),
            "error": self.error,
            "rollback": self.rollback,
            "statements": [s.to_json() for s in self.statements],
            "retries": [r.to_json() for r in self.retries],
            "verification": [v.to_json() for v in self.verification],
            "dropped_invalid_indexes": self.dropped_invalid_indexes,
            "duration_ms": round(self.duration_ms, 3),
        }


@dataclass
class ApplyReport:
    """Everything one `migrate apply` did, in order."""

    target: str  # the database URL, password shown as ***
    layout: str
    options: ApplyOptions
    pending: list[str] = field(default_factory=list)
    migrations: list[MigrationResult] = field(default_factory=list)
    history_table: bool = False
    total_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(m.status is Status.applied for m in self.migrations)

    @property
    def applied(self) -> list[MigrationResult]:
        return [m for m in self.migrations if m.status is Status.applied]

    @property
    def stopped_at(self) -> MigrationResult | None:
        return next((m for m in self.migrations if m.status in _STOPPED), None)

    def summary(self) -> str:
        """One sentence: what was applied, and what stopped the run."""
        done = ", ".join(m.version for m in self.applied)
        text = f"applied {done}" if done else "applied nothing"
        if not self.pending:
            return "nothing pending"
        stopped = self.stopped_at
        if stopped is not None:
            reason = stopped.error or "failed"
            text += f"; {stopped.version} {stopped.status}: {reason}"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "apply",
            "target": self.target,
            "layout": self.layout,
            "ok": self.ok,
            "summary": self.summary(),
            "options": self.options.to_json(),
            "pending": self.pending,
            "history_table": self.history_table,
            "migrations": [m.to_json() for m in self.migrations],
            "total_seconds": round(self.total_seconds, 3),
        }


_STOPPED = (Status.rolled_back, Status.failed)
