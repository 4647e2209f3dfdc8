"""`migrate apply`: run the pending migrations on a real database with guard rails, verify
each one, and undo it when it fails.

Each statement runs under `lock_timeout` and `statement_timeout`; before it is sent, the
locks it will ask for are compared with those that long-open transactions hold, so that it
never queues (and makes every later query on the table queue behind it) for longer than the
lock timeout. A lock not granted is retried with exponential backoff and jitter, a bounded
number of times; a migration that runs in a transaction is retried whole, its locks
released while it waits. The migration is recorded in its tool's history table, inside its
transaction when it has one. After it: the consumers' contract queries are PREPAREd and the
health URLs asked; a failure there runs its down migration and takes the history row out.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from pglast import enums

from interlock.migrations.apply_guard import (
    MODES,
    Blocker,
    backoff_ms,
    drop_indexes,
    expected_locks,
    invalid_indexes,
    long_blockers,
)
from interlock.migrations.apply_model import (
    ApplyOptions,
    ApplyReport,
    Event,
    EventSink,
    MigrationResult,
    Retry,
    StatementResult,
    Status,
)
from interlock.migrations.apply_verify import verify
from interlock.migrations.apply_watch import watch_error_rates
from interlock.migrations.database_url import connect, redact
from interlock.migrations.dryrun import lock_mode_name
from interlock.migrations.history import (
    applied_versions,
    create_history_table,
    pending_migrations,
    record_applied,
    unrecord_applied,
)
from interlock.migrations.model import Migration, SqlSection, Statement, Transaction
from interlock.migrations.sqltree import nodes

_LOCK_NOT_AVAILABLE = "55P03"
_DEADLOCK = "40P01"
_NO_TRANSACTION_BLOCK = "25001"
_RETRYABLE = {_LOCK_NOT_AVAILABLE: "lock timeout", _DEADLOCK: "deadlock"}

# relation locks this backend holds on user objects (oids below 16384 are the system's own)
_OWN_LOCKS = """
    SELECT l.mode, l.relation::regclass::text FROM pg_locks l
    WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
      AND l.relation >= 16384
"""
_MODE_ORDER = {m: i for i, m in enumerate(MODES)}


def apply_migrations(
    url: str,
    migrations: Sequence[Migration],
    options: ApplyOptions | None = None,
    on_event: EventSink | None = None,
) -> ApplyReport:
    """Apply the migrations the database's history table lacks (or those after
    `options.from_version`), one by one, stopping at the first that fails or is undone."""
    options = options or ApplyOptions()
    emit = on_event or _ignore
    started = time.perf_counter()
    layout = migrations[0].layout if migrations else None
    report = ApplyReport(redact(url), str(layout or ""), options)
    with connect(url, autocommit=True) as conn:
        applied = applied_versions(conn, layout) if layout is not None else None
        pending = pending_migrations(migrations, applied, options.from_version)
        report.pending = [m.version for m in pending]
        emit({"event": "start", "target": report.target, "pending": report.pending})
        if pending and layout is not None:
            report.history_table = create_history_table(conn, layout)
        runner = _Runner(conn, options, emit)
        for migration in pending:
            index = list(migrations).index(migration)
            previous = migrations[index - 1] if index > 0 else None
            result = runner.migrate(migration, previous)
            report.migrations.append(result)
            if result.status is not Status.applied:
                break
    for migration in pending[len(report.migrations) :]:
        report.migrations.append(_result_for(migration))
    report.total_seconds = time.perf_counter() - started
    emit({"event": "done", **report.to_json()})
    return report


def _ignore(event: Event) -> None:
    return None


def _result_for(migration: Migration) -> MigrationResult:
    return MigrationResult(
        migration.version, migration.name, str(migration.up_path), migration.runs_in_transaction
    )


@dataclass
class _Failure:
    """Why a statement did not complete: retried when `reason` says a lock was in the way."""

    statement: Statement
    message: str
    reason: str | None = None  # "lock timeout", "deadlock", "long transaction": retryable
    blockers: tuple[Blocker, ...] = ()


class _Runner:
    """Runs sections of SQL on one autocommit connection with the guard rails."""

    def __init__(self, conn: psycopg.Connection[Any], options: ApplyOptions, emit: EventSink):
        self.conn = conn
        self.options = options
        self.emit = emit
        self.rng = random.Random(options.seed)

    def migrate(self, migration: Migration, previous: Migration | None) -> MigrationResult:
        result = _result_for(migration)
        started = time.perf_counter()
        started_unix = time.time()
        self.emit(
            {
                "event": "migration",
                "version": migration.version,
                "name": migration.name,
                "file": result.file,
                "in_transaction": result.in_transaction,
            }
        )
        failure = self.run_section(
            migration, migration.up, result, "up", lambda c: record_applied(c, migration, 0.0)
        )
        if failure is None:
            result.verification = verify(
                self.conn,
                self.options.contracts,
                self.options.health_urls,
                self.options.health_timeout_s,
            )
            watch = self.options.watch
            if watch is not None and not result.failed_verification:
                self.emit({"event": "watch", "version": migration.version, "seconds": watch.seconds,
                           "services": list(watch.services)})  # fmt: skip
                result.verification += watch_error_rates(watch, started_unix)
            for check in result.verification:
                self.emit(
                    {"event": "verification", "version": migration.version, **check.to_json()}
                )
            broken = result.failed_verification
            if not broken:
                result.status = Status.applied
            else:
                result.error = "verification failed: " + "; ".join(
                    f"{v.name}: {v.error}" for v in broken
                )
                self._undo_committed(migration, previous, result)
        else:
            result.error = f"{failure.statement.line}: {failure.message}"
            self._undo_failed(migration, result)
        result.duration_ms = (time.perf_counter() - started) * 1000
        self.emit(
            {
                "event": "migration_done",
                "version": migration.version,
                "status": str(result.status),
                "error": result.error,
                "rollback": result.rollback,
                "duration_ms": round(result.duration_ms, 3),
            }
        )
        return result

    def _undo_failed(self, migration: Migration, result: MigrationResult) -> None:
        """A migration that failed: its transaction is rolled back already; one that ran
        statement by statement has its down migration run, if allowed and there is one."""
        if migration.runs_in_transaction:
            result.status = Status.rolled_back
            result.rollback = "transaction rolled back; the history table is as before"
        elif not self.options.rollback:
            result.status = Status.failed
            result.rollback = (
                "not undone (--no-rollback): the statements before the failure stay applied"
            )
        elif migration.down is None:
            result.status = Status.failed
            result.rollback = "no down migration: the statements before the failure stay applied"
        else:
            self._run_down(migration, result, None)
        self.emit({"event": "rollback", "version": migration.version, "rollback": result.rollback})

    def _undo_committed(
        self, migration: Migration, previous: Migration | None, result: MigrationResult
    ) -> None:
        """A migration applied and committed whose verification failed: run its down."""
        if not self.options.rollback:
            result.status = Status.failed
            result.rollback = "not undone (--no-rollback): the migration stays applied"
        elif migration.down is None:
            result.status = Status.failed
            result.rollback = "no down migration: the migration stays applied"
        else:
            self._run_down(migration, result, lambda c: unrecord_applied(c, migration, previous))
        self.emit({"event": "rollback", "version": migration.version, "rollback": result.rollback})

    def _run_down(
        self,
        migration: Migration,
        result: MigrationResult,
        unrecord: Callable[[psycopg.Connection[Any]], None] | None,
    ) -> None:
        assert migration.down is not None
        failure = self.run_section(migration, migration.down, result, "down", unrecord)
        name = migration.down.path.name
        if failure is None:
            result.status = Status.rolled_back
            history = "history row removed" if unrecord else "history table unchanged"
            result.rollback = f"down migration {name} run; {history}"
        else:
            result.status = Status.failed
            result.rollback = (
                f"down migration {name} failed at line {failure.statement.line}: {failure.message}"
            )

    def run_section(
        self,
        migration: Migration,
        section: SqlSection,
        result: MigrationResult,
        direction: str,
        on_success: Callable[[psycopg.Connection[Any]], None] | None,
    ) -> _Failure | None:
        """Run `section` with the guard rails; `on_success` (the history write) runs in its
        transaction, or after it. The failure that stopped it, or None."""
        if _in_transaction(migration, section):
            return self._transactional(migration, section, result, direction, on_success)
        failure = self._one_by_one(migration, section, result, direction)
        if failure is None and on_success is not None:
            on_success(self.conn)
        return failure

    def _set_timeouts(self) -> None:
        options = self.options
        self.conn.execute(f"SET lock_timeout = {int(options.lock_timeout_ms)}")
        self.conn.execute(f"SET statement_timeout = {int(options.statement_timeout_ms)}")

    def _transactional(
        self,
        migration: Migration,
        section: SqlSection,
        result: MigrationResult,
        direction: str,
        on_success: Callable[[psycopg.Connection[Any]], None] | None,
    ) -> _Failure | None:
        attempt = 0
        while True:
            attempt += 1
            self._set_timeouts()
            self.conn.execute("BEGIN")
            failure = None
            seen: dict[str, str] = {}
            for statement in section.statements:
                failure = self._blocked(statement)
                if failure is None:
                    run = self._execute(
                        migration, section, statement, attempt, direction, False, seen
                    )
                    result.statements.append(run)
                    failure = _failure_of(statement, run)
                if failure is not None:
                    break
            if failure is None:
                if on_success is not None:
                    on_success(self.conn)
                self.conn.execute("COMMIT")
                return None
            self.conn.execute("ROLLBACK")
            if not self._retry(migration, section, result, failure, attempt):
                return failure

    def _one_by_one(
        self, migration: Migration, section: SqlSection, result: MigrationResult, direction: str
    ) -> _Failure | None:
        """Statement by statement, each in a transaction of its own where PostgreSQL allows;
        BEGIN/COMMIT written in the file are kept, and a retry starts again at the BEGIN."""
        statements = section.statements
        attempts: dict[int, int] = {}
        index, opened = 0, None
        seen: dict[str, str] = {}
        self._set_timeouts()
        while index < len(statements):
            statement = statements[index]
            node = statement.node
            if isinstance(node, nodes.TransactionStmt):
                self.conn.execute(statement.text)
                opened = index if _begins(node) else None
                index += 1
                continue
            attempt = attempts.get(index if opened is None else opened, 0) + 1
            failure = self._blocked(statement)
            if failure is None:
                own = opened is None
                # a statement in its own transaction holds nothing from the ones before
                held = {} if own else seen
                run = self._execute(migration, section, statement, attempt, direction, own, held)
                result.statements.append(run)
                failure = _failure_of(statement, run)
            if failure is None:
                index += 1
                continue
            restart = index if opened is None else opened
            if opened is not None:
                self.conn.execute("ROLLBACK")
                opened = None
            attempts[restart] = attempt
            if not self._retry(migration, section, result, failure, attempt):
                return failure
            self._set_timeouts()
            index = restart
        return None

    def _retry(
        self,
        migration: Migration,
        section: SqlSection,
        result: MigrationResult,
        failure: _Failure,
        attempt: int,
    ) -> bool:
        """Wait and say so when the failure is a lock in the way and retries are left."""
        if failure.reason is None or attempt > self.options.retries:
            if failure.reason is not None:
                failure.message += f" (gave up after {attempt} attempts)"
            return False
        options = self.options
        wait = backoff_ms(attempt, options.backoff_ms, options.backoff_cap_ms, self.rng)
        retry = Retry(
            migration.version,
            str(section.path),
            failure.statement.line,
            attempt,
            failure.reason,
            wait,
            failure.blockers,
            failure.message,
        )
        result.retries.append(retry)
        self.emit({"event": "retry", **retry.to_json()})
        time.sleep(wait / 1000)
        return True

    def _blocked(self, statement: Statement) -> _Failure | None:
        """A long transaction holding a lock this statement needs: wait, do not queue."""
        blockers = long_blockers(
            self.conn, expected_locks(statement.node), self.options.long_transaction_ms
        )
        if not blockers:
            return None
        return _Failure(
            statement,
            "; ".join(str(b) for b in blockers),
            "long transaction",
            tuple(blockers),
        )

    def _execute(
        self,
        migration: Migration,
        section: SqlSection,
        statement: Statement,
        attempt: int,
        direction: str,
        own_transaction: bool,
        seen: dict[str, str],
    ) -> StatementResult:
        """Run one statement and measure it. With `own_transaction`, in a transaction of its
        own (to read its locks before they go), or bare when PostgreSQL refuses one
        (CONCURRENTLY): an invalid index that a failed CONCURRENTLY build leaves is dropped."""
        conn = self.conn
        in_transaction = not own_transaction or _may_wrap(statement.node)
        run = StatementResult(
            migration.version,
            str(section.path),
            statement.line,
            " ".join(statement.text.split()),
            in_transaction,
            attempt,
            direction,
        )
        concurrent = _builds_concurrently(statement.node)
        invalid_before = invalid_indexes(conn) if concurrent else set()
        started = time.perf_counter()
        try:
            if own_transaction and in_transaction:
                conn.execute("BEGIN")
            cursor = conn.execute(statement.text)  # migration SQL, run as written
            run.rows = cursor.rowcount if cursor.rowcount >= 0 else None
            run.duration_ms = (time.perf_counter() - started) * 1000
            if in_transaction:
                run.locks = _new_locks(conn, seen)
            else:
                run.locks = [
                    f"{lock.mode} {lock.relation} (expected)"
                    for lock in expected_locks(statement.node)
                ]
            if own_transaction and in_transaction:
                conn.execute("COMMIT")
        except psycopg.Error as error:
            run.duration_ms = (time.perf_counter() - started) * 1000
            run.error = f"{error.sqlstate or ''} {str(error).strip()}".strip()
            if own_transaction and in_transaction:
                conn.execute("ROLLBACK")
            if concurrent:
                left = invalid_indexes(conn) - invalid_before
                if left:
                    dropped = drop_indexes(conn, left)
                    self.emit(
                        {
                            "event": "invalid_index_dropped",
                            "version": migration.version,
                            "indexes": dropped,
                        }
                    )
                    run.error += f" (invalid index {', '.join(dropped)} dropped)"
        self.emit({"event": "statement", **run.to_json()})
        return run


def _in_transaction(migration: Migration, section: SqlSection) -> bool:
    """Whether the tool runs `section` (up or down) in one transaction."""
    if migration.transaction is Transaction.multi_statement:
        return len(section.statements) > 1
    return migration.transaction is Transaction.always


def _begins(node: Any) -> bool:
    kinds = enums.TransactionStmtKind
    return node.kind in (kinds.TRANS_STMT_BEGIN, kinds.TRANS_STMT_START)


def _builds_concurrently(node: Any) -> bool:
    return isinstance(node, nodes.IndexStmt) and bool(node.concurrent)


def _may_wrap(node: Any) -> bool:
    """False for the statements PostgreSQL refuses to run inside a transaction block."""
    if isinstance(node, nodes.IndexStmt | nodes.DropStmt):
        return not node.concurrent
    if isinstance(node, nodes.ReindexStmt):
        return not any(p.defname == "concurrently" for p in node.params or ())
    return not isinstance(
        node, nodes.VacuumStmt | nodes.CreatedbStmt | nodes.DropdbStmt | nodes.AlterSystemStmt
    )


def _failure_of(statement: Statement, run: StatementResult) -> _Failure | None:
    if run.error is None:
        return None
    return _Failure(statement, run.error, _RETRYABLE.get(run.error[:5]))


def _new_locks(conn: psycopg.Connection[Any], seen: dict[str, str]) -> list[str]:
    """The locks this statement added: per relation the strongest mode not held before."""
    strongest: dict[str, str] = {}
    for mode, relation in conn.execute(_OWN_LOCKS).fetchall():
        name = lock_mode_name(mode)
        if _MODE_ORDER[name] > _MODE_ORDER.get(strongest.get(relation, ""), -1):
            strongest[relation] = name
    added = []
    for relation, mode in sorted(strongest.items()):
        if _MODE_ORDER[mode] > _MODE_ORDER.get(seen.get(relation, ""), -1):
            seen[relation] = mode
            added.append(f"{mode} {relation}")
    return added
