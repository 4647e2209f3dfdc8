"""The dry run: pending migrations applied to a scratch copy, measured statement by statement.

For each statement: its duration, the relation locks its backend took (from `pg_locks`),
the tables and indexes it rewrote (`pg_class.relfilenode` changed), and the rows it read
(`pg_stat_xact_user_tables`). Each migration's rollback is checked on its own: its down
migration run right after it, the schema compared with the schema before it, and the
migration applied again, so that one old irreversible migration does not hide the others.
Then every consumer's database-contract query is PREPAREd against the migrated copy. The
source database is only read; the scratch copy is always dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from interlock.contracts import ContractQuery
from interlock.migrations.database_url import connect, redact
from interlock.migrations.history import applied_versions, pending_migrations
from interlock.migrations.model import Migration, SqlSection
from interlock.migrations.schema_snapshot import (
    SchemaDifference,
    SchemaSnapshot,
    diff_schemas,
    snapshot_schema,
)
from interlock.migrations.scratch_copy import ScratchCopy, drop_copy, make_copy

# Lock modes that stall readers (ACCESS EXCLUSIVE) or writers (SHARE and stronger).
BLOCKING_MODES = ("ACCESS EXCLUSIVE", "EXCLUSIVE", "SHARE ROW EXCLUSIVE", "SHARE")

_USER_RELATIONS = """
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
      AND n.nspname NOT LIKE 'pg_temp%'"""
_LOCKS = f"""
    SELECT DISTINCT l.mode, n.nspname || '.' || c.relname {_USER_RELATIONS.replace("FROM pg_class c", "FROM pg_locks l JOIN pg_class c ON c.oid = l.relation").replace("%", "%%")}
      AND l.locktype = 'relation' AND l.granted AND l.pid = %s"""
_FILENODES = f"SELECT n.nspname || '.' || c.relname, c.relfilenode {_USER_RELATIONS} AND c.relkind IN ('r', 'i', 'm', 'p')"
_SCANS = "SELECT schemaname || '.' || relname, coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM {view}"


def lock_mode_name(mode: str) -> str:
    """`AccessExclusiveLock` -> `ACCESS EXCLUSIVE`, as PostgreSQL's documentation names it."""
    words: list[str] = []
    for char in mode.removesuffix("Lock"):
        if char.isupper() and words:
            words.append(" ")
        words.append(char.upper())
    return "".join(words)


@dataclass(frozen=True)
class LockTaken:
    mode: str
    relation: str
    held_ms: float
    guarded: bool  # a lock_timeout was set when the statement asked for it
    new_relation: bool  # created by this run: nobody else could be waiting on it

    @property
    def risky(self) -> bool:
        return self.mode in BLOCKING_MODES and not self.new_relation

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "relation": self.relation,
            "held_ms": round(self.held_ms, 3),
            "lock_timeout_set": self.guarded,
            "new_relation": self.new_relation,
            "risky": self.risky,
        }


@dataclass
class StatementRun:
    """What one statement did to the copy."""

    migration: str
    file: str
    line: int
    sql: str
    in_transaction: bool
    duration_ms: float = 0.0
    locks: list[LockTaken] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)
    rows_scanned: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "migration": self.migration,
            "file": self.file,
            "line": self.line,
            "sql": self.sql,
            "in_transaction": self.in_transaction,
            "duration_ms": round(self.duration_ms, 3),
            "locks": [lock.to_json() for lock in self.locks],
            "rewritten": self.rewritten,
            "rows_scanned": self.rows_scanned,
            "error": self.error,
        }


@dataclass(frozen=True)
class ContractCheck:
    query: ContractQuery
    error: str | None

    def to_json(self) -> dict[str, Any]:
        q = self.query
        return {
            "consumer": q.consumer,
            "name": q.name,
            "sql": q.sql,
            "source": q.source,
            "ok": self.error is None,
            "error": self.error,
        }


@dataclass(frozen=True)
class RollbackCheck:
    """One migration's down migration, run right after its up on the copy."""

    version: str
    checked: bool  # the down ran: `differences` say whether it restored the schema
    note: str | None = None  # why it was not checked
    differences: tuple[SchemaDifference, ...] = ()

    @property
    def ok(self) -> bool:
        return self.checked and not self.differences

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "checked": self.checked,
            "ok": self.ok,
            "note": self.note,
            "differences": [d.to_json() for d in self.differences],
        }


@dataclass
class DryRunReport:
    """Everything the dry run measured, and whether the migration is safe to ship."""

    source: str
    copy: ScratchCopy | None = None
    pending: list[str] = field(default_factory=list)
    statements: list[StatementRun] = field(default_factory=list)
    contracts: list[ContractCheck] = field(default_factory=list)
    rollback: list[SchemaDifference] = field(default_factory=list)
    rollback_checked: bool = False
    rollback_note: str | None = None
    rollbacks: list[RollbackCheck] = field(default_factory=list)  # one per migration run
    total_seconds: float = 0.0
    max_lock_ms: float = 1000.0

    @property
    def failed_statements(self) -> list[StatementRun]:
        return [s for s in self.statements if s.error]

    @property
    def broken_contracts(self) -> list[ContractCheck]:
        return [c for c in self.contracts if c.error]

    @property
    def risky_locks(self) -> list[tuple[StatementRun, LockTaken]]:
        """Blocking locks on existing relations held longer than allowed, or unguarded rewrites."""
        found = []
        for run in self.statements:
            for lock in run.locks:
                long = lock.held_ms > self.max_lock_ms
                unguarded_rewrite = lock.relation in run.rewritten and not lock.guarded
                if lock.risky and (long or unguarded_rewrite):
                    found.append((run, lock))
        return found

    @property
    def ok(self) -> bool:
        rollback_ok = self.rollback_checked and not self.rollback
        return (
            not (self.failed_statements or self.broken_contracts or self.risky_locks)
            and rollback_ok
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "ok": self.ok,
            "copy": None
            if self.copy is None
            else {
                "method": self.copy.method,
                "seconds": round(self.copy.seconds, 3),
                "rows_copied": self.copy.rows_copied,
            },
            "pending": self.pending,
            "statements": [s.to_json() for s in self.statements],
            "risky_locks": [
                {"file": r.file, "line": r.line, **lock.to_json()} for r, lock in self.risky_locks
            ],
            "contracts": [c.to_json() for c in self.contracts],
            "rollback": {
                "checked": self.rollback_checked,
                "note": self.rollback_note,
                "differences": [d.to_json() for d in self.rollback],
                "migrations": [c.to_json() for c in self.rollbacks],
            },
            "total_seconds": round(self.total_seconds, 3),
        }


def dry_run(
    source_url: str,
    migrations: Sequence[Migration],
    *,
    from_version: str | None = None,
    contracts: Sequence[ContractQuery] = (),
    sample_percent: float | None = None,
    masks: Sequence[str] = (),
    max_lock_ms: float = 1000.0,
) -> DryRunReport:
    """Apply the pending `migrations` to a copy of the source and measure everything."""
    started = time.perf_counter()
    report = DryRunReport(source=redact(source_url), max_lock_ms=max_lock_ms)
    with connect(source_url) as conn:
        conn.read_only = True
        applied = applied_versions(conn, migrations[0].layout) if migrations else None
    pending = pending_migrations(migrations, applied, from_version)
    report.pending = [m.version for m in pending]
    report.copy = make_copy(source_url, sample_percent, masks)
    try:
        _run_on_copy(report, report.copy.url, pending, contracts)
    finally:
        drop_copy(source_url, report.copy.name)
        report.total_seconds = time.perf_counter() - started
    return report


def _run_on_copy(
    report: DryRunReport, url: str, pending: Sequence[Migration], contracts: Sequence[ContractQuery]
) -> None:
    with (
        psycopg.connect(url, autocommit=True) as conn,
        psycopg.connect(url, autocommit=True) as watcher,
    ):
        existing = {row[0] for row in conn.execute(_FILENODES).fetchall()}
        failed_up: str | None = None
        for migration in pending:
            before = snapshot_schema(conn)
            if _apply(report, conn, watcher, migration, migration.up, existing) is not None:
                failed_up = migration.version
                break
            check, again = _check_rollback(report, conn, watcher, migration, before, existing)
            report.rollbacks.append(check)
            if again is not None:
                report.rollbacks.append(RollbackCheck(migration.version, False, again))
                break
        report.contracts = [check_contract(conn, query) for query in contracts]
    _sum_up_rollbacks(report, pending, failed_up)


def _check_rollback(
    report: DryRunReport,
    conn: psycopg.Connection[Any],
    watcher: psycopg.Connection[Any],
    migration: Migration,
    before: SchemaSnapshot,
    existing: set[str],
) -> tuple[RollbackCheck, str | None]:
    """Run the down of a migration just applied, compare, and apply the migration again.

    The second value says why the copy cannot go on (a down that failed half way outside a
    transaction, or an up that does not run a second time): the later migrations stop there.
    """
    version = migration.version
    if migration.down is None:
        return RollbackCheck(version, False, f"migration {version} has no down migration"), None
    error = _apply(report, conn, watcher, migration, migration.down, existing, record=False)
    if error is not None:
        # PostgreSQL's own message is the useful part of the note
        check = RollbackCheck(version, False, f"the down migration of {version} failed: {error}")
        if migration.runs_in_transaction:
            return check, None  # rolled back whole: the copy is as the up left it
        return check, f"the copy is left partly undone by the down migration of {version}"
    differences = tuple(diff_schemas(before, snapshot_schema(conn)))
    again = _apply(report, conn, watcher, migration, migration.up, existing, record=False)
    if again is not None:
        return RollbackCheck(version, True, None, differences), (
            f"migration {version} does not apply again after its down migration: {again}"
        )
    return RollbackCheck(version, True, None, differences), None


def _sum_up_rollbacks(
    report: DryRunReport, pending: Sequence[Migration], failed_up: str | None
) -> None:
    """The report's overall rollback verdict: checked when every pending migration's was."""
    report.rollback = [d for c in report.rollbacks for d in c.differences]
    notes = [c.note for c in report.rollbacks if c.note]
    if failed_up is not None:
        notes.insert(0, f"not checked: migration {failed_up} failed")
    checked = {c.version for c in report.rollbacks if c.checked}
    report.rollback_checked = failed_up is None and checked == {m.version for m in pending}
    report.rollback_note = "; ".join(notes) or None


def _apply(
    report: DryRunReport,
    conn: psycopg.Connection[Any],
    watcher: psycopg.Connection[Any],
    migration: Migration,
    section: SqlSection,
    existing: set[str],
    record: bool = True,
) -> str | None:
    """Run one section statement by statement; on failure `file:line: error` (recorded in
    the report when `record`), else None."""
    transactional = migration.runs_in_transaction
    runs: list[tuple[StatementRun, float]] = []
    seen_locks: set[tuple[str, str]] = set()
    if transactional:
        conn.execute("BEGIN")
    for statement in section.statements:
        run = StatementRun(
            migration.version,
            str(section.path),
            statement.line,
            statement.text.strip(),
            transactional,
        )
        if record:
            report.statements.append(run)
        if transactional:
            _measure(
                conn, watcher, statement.text, run, existing, seen_locks, own_transaction=False
            )
        else:
            # Alone, a statement still runs in a transaction of its own, which lets us read its
            # locks from its own backend before they are released; CONCURRENTLY and the few
            # statements that refuse a transaction block run bare, watched from a second connection.
            conn.execute("BEGIN")
            _measure(conn, watcher, statement.text, run, existing, seen_locks, own_transaction=True)
            if run.error and run.error.startswith(_NO_TRANSACTION_BLOCK):
                run.error = None
                _measure(
                    conn, watcher, statement.text, run, existing, seen_locks, own_transaction=None
                )
        if run.error:
            if transactional:
                conn.execute("ROLLBACK")
            return f"{section.path}:{statement.line}: {run.error}"
        runs.append((run, time.perf_counter()))
    if transactional:
        conn.execute("COMMIT")
        committed = time.perf_counter()
        for run, finished in runs:
            # Locks taken inside a transaction are held until it commits.
            run.locks = [
                LockTaken(
                    lock.mode,
                    lock.relation,
                    lock.held_ms + (committed - finished) * 1000,
                    lock.guarded,
                    lock.new_relation,
                )
                for lock in run.locks
            ]
    return None


_NO_TRANSACTION_BLOCK = "25001"  # active_sql_transaction: "cannot run inside a transaction block"


def _measure(
    conn: psycopg.Connection[Any],
    watcher: psycopg.Connection[Any],
    sql_text: str,
    run: StatementRun,
    existing: set[str],
    seen_locks: set[tuple[str, str]],
    own_transaction: bool | None,
) -> None:
    """Run one statement and fill `run` with what it did.

    `own_transaction`: False inside the migration's transaction, True in a transaction
    opened for this statement alone (committed here), None bare in autocommit.
    """
    in_transaction = own_transaction is not None
    guarded = _lock_timeout_set(conn)
    nodes_before = dict(conn.execute(_FILENODES).fetchall())
    scans_before = _scans(conn, in_transaction)
    poller = None if in_transaction else _LockPoller(watcher, conn.info.backend_pid)
    started = time.perf_counter()
    try:
        if poller:
            poller.start()
        conn.execute(sql_text)  # migration SQL, run as written
    except psycopg.Error as error:
        run.error = f"{error.sqlstate or ''} {str(error).strip()}".strip()
    finally:
        run.duration_ms = (time.perf_counter() - started) * 1000
        polled = poller.stop() if poller else set()
    if run.error:
        if own_transaction:
            conn.execute("ROLLBACK")
        return
    locks = polled
    if in_transaction:
        locks = {(m, r) for m, r in conn.execute(_LOCKS, (conn.info.backend_pid,)).fetchall()}
    nodes_after = dict(conn.execute(_FILENODES).fetchall())
    run.rewritten = sorted(
        r for r, node in nodes_after.items() if r in nodes_before and nodes_before[r] != node
    )
    scans_after = _scans(conn, in_transaction)
    run.rows_scanned = {
        r: n - scans_before.get(r, 0)
        for r, n in scans_after.items()
        if n - scans_before.get(r, 0) > 0
    }
    if own_transaction:
        conn.execute("COMMIT")
    run.in_transaction = in_transaction
    for mode, relation in sorted(locks):
        if (mode, relation) not in seen_locks:
            seen_locks.add((mode, relation))
            run.locks.append(
                LockTaken(
                    lock_mode_name(mode),
                    relation,
                    run.duration_ms,
                    guarded,
                    relation not in existing,
                )
            )


def _lock_timeout_set(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("SELECT current_setting('lock_timeout')").fetchone()
    return row is not None and row[0] not in ("0", "0ms")


def _scans(conn: psycopg.Connection[Any], transactional: bool) -> dict[str, int]:
    if transactional:
        return dict(conn.execute(_SCANS.format(view="pg_stat_xact_user_tables")).fetchall())
    conn.execute("SELECT pg_stat_clear_snapshot()")
    return dict(conn.execute(_SCANS.format(view="pg_stat_user_tables")).fetchall())


class _LockPoller:
    """Watches another backend's locks from a second connection while a statement runs.

    Needed for statements outside a transaction (CONCURRENTLY): their locks are gone by
    the time the statement returns.
    """

    def __init__(self, watcher: psycopg.Connection[Any], pid: int) -> None:
        self._watcher = watcher
        self._pid = pid
        self._found: set[tuple[str, str]] = set()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> set[tuple[str, str]]:
        self._done.set()
        self._thread.join()
        return self._found

    def _poll(self) -> None:
        while not self._done.is_set():
            self._found.update(
                (m, r) for m, r in self._watcher.execute(_LOCKS, (self._pid,)).fetchall()
            )
            time.sleep(0.002)


def check_contract(conn: psycopg.Connection[Any], query: ContractQuery) -> ContractCheck:
    """PREPARE the query on the migrated copy: PostgreSQL itself says whether it still works."""
    try:
        conn.execute(f"PREPARE interlock_contract_check AS {query.sql}")
    except psycopg.Error as error:
        return ContractCheck(query, str(error).strip().splitlines()[0])
    conn.execute("DEALLOCATE interlock_contract_check")
    return ContractCheck(query, None)
