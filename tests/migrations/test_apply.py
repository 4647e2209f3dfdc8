"""`migrate apply` on a real PostgreSQL: history recorded as the tool records it, lock
timeouts retried without queueing other sessions, failures and broken contracts undone."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from interlock.cli.main import app
from interlock.contracts.database import ContractQuery
from interlock.incidents import recent_changes
from interlock.migrations import list_reports, read_migrations
from interlock.migrations.apply import apply_migrations
from interlock.migrations.apply_model import ApplyOptions, ApplyReport, Event, Status
from interlock.store import create_engine_for
from interlock.store.incident_schema import alert_outbox

pytestmark = pytest.mark.postgres

FAST = {"backoff_ms": 50.0, "backoff_cap_ms": 400.0, "seed": 7}


@pytest.fixture
def database(postgres: Any, request: pytest.FixtureRequest) -> str:
    """A fresh database with a 10,000-row `products` table."""
    url: str = postgres.create_database(f"apply_{request.node.name[5:40].lower()}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE products (id bigint PRIMARY KEY, sku text NOT NULL, price integer);"
            "INSERT INTO products SELECT g, 'sku-' || (g % 100), g FROM generate_series(1, 10000) g"
        )
    return url


def golang(directory: Path, *pairs: tuple[str, str]) -> Path:
    """golang-migrate files: one up and one down per pair."""
    directory.mkdir(parents=True, exist_ok=True)
    for number, (up, down) in enumerate(pairs, start=1):
        (directory / f"{number:06d}_step.up.sql").write_text(up + "\n")
        (directory / f"{number:06d}_step.down.sql").write_text(down + "\n")
    return directory


def apply(url: str, directory: Path, **options: Any) -> tuple[ApplyReport, list[Event]]:
    events: list[Event] = []
    report = apply_migrations(
        url, read_migrations(directory), ApplyOptions(**{**FAST, **options}), events.append
    )
    return report, events


def one(url: str, sql: str) -> Any:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
    return None if row is None else row[0]


def columns(url: str) -> set[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'products'"
        ).fetchall()
    return {r[0] for r in rows}


def test_pending_migrations_are_applied_and_recorded_in_the_tools_table(
    database: str, tmp_path: Path
) -> None:
    """golang-migrate's schema_migrations ends at the last version; a second run has nothing."""
    directory = golang(
        tmp_path / "m",
        ("ALTER TABLE products ADD COLUMN note text;", "ALTER TABLE products DROP COLUMN note;"),
        (
            "UPDATE products SET price = price + 1 WHERE id <= 10;\nCREATE TABLE tags (id bigint);",
            "DROP TABLE tags;",
        ),
    )
    report, events = apply(database, directory)
    assert [Status.applied, Status.applied] == [m.status for m in report.migrations]
    assert (2, False) == (
        one(database, "SELECT version FROM schema_migrations"),
        one(database, "SELECT dirty FROM schema_migrations"),
    )
    update = report.migrations[1].statements[0]
    assert 10 == update.rows
    assert (
        "ROW EXCLUSIVE public.products" in update.locks or "ROW EXCLUSIVE products" in update.locks
    )
    assert "ACCESS EXCLUSIVE products" in report.migrations[0].statements[0].locks
    assert ["start", "migration", "statement"] == [e["event"] for e in events[:3]]
    again, _ = apply(database, directory)
    assert ([], True) == (again.pending, again.ok)


def test_a_migration_blocked_by_a_long_transaction_retries_and_never_queues_readers(
    database: str, tmp_path: Path
) -> None:
    """A transaction holding products for 2.5 s: the ALTER waits it out with retries, succeeds
    after it ends, and no reader of products waits longer than the lock timeout meanwhile."""
    directory = golang(
        tmp_path / "m",
        (
            "ALTER TABLE products ADD COLUMN weight integer;",
            "ALTER TABLE products DROP COLUMN weight;",
        ),
    )
    holder = psycopg.connect(database)
    holder.execute("SELECT count(*) FROM products")  # ACCESS SHARE, held until the transaction ends
    holder_pid = holder.info.backend_pid
    released_at: list[float] = []

    def release() -> None:
        time.sleep(2.5)
        holder.rollback()
        released_at.append(time.perf_counter())

    waits: list[float] = []
    stop = threading.Event()

    def read() -> None:
        with psycopg.connect(database, autocommit=True) as reader:
            while not stop.is_set():
                started = time.perf_counter()
                reader.execute("SELECT price FROM products WHERE id = 1")
                waits.append((time.perf_counter() - started) * 1000)
                time.sleep(0.01)

    threads = [threading.Thread(target=release), threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    try:
        report, _ = apply(
            database, directory, lock_timeout_ms=200, long_transaction_ms=500, retries=30
        )
        finished = time.perf_counter()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        holder.close()
    (result,) = report.migrations
    assert Status.applied == result.status, result.error
    assert finished > released_at[0]
    reasons = {r.reason for r in result.retries}
    assert {"lock timeout", "long transaction"} <= reasons
    blocked = next(r for r in result.retries if r.reason == "long transaction")
    assert holder_pid == blocked.blockers[0].pid
    assert blocked.blockers[0].age_ms >= 500
    assert "weight" in columns(database)
    assert len(waits) > 20
    assert max(waits) < 200 + 150, sorted(waits)[-5:]


def test_a_migration_that_fails_is_rolled_back_with_its_transaction(
    database: str, tmp_path: Path
) -> None:
    """The second statement fails: the first is undone and the history table is unchanged."""
    directory = golang(
        tmp_path / "m",
        ("ALTER TABLE products ADD COLUMN note text;", "ALTER TABLE products DROP COLUMN note;"),
        (
            "ALTER TABLE products ADD COLUMN colour text;\nINSERT INTO missing VALUES (1);",
            "ALTER TABLE products DROP COLUMN colour;",
        ),
    )
    report, _ = apply(database, directory)
    assert [Status.applied, Status.rolled_back] == [m.status for m in report.migrations]
    failed = report.migrations[1]
    assert failed.error is not None and 'relation "missing" does not exist' in failed.error
    assert "transaction rolled back" in (failed.rollback or "")
    assert "colour" not in columns(database)
    assert 1 == one(database, "SELECT version FROM schema_migrations")
    assert not report.ok


def test_a_contract_broken_after_apply_runs_the_down_migration(
    database: str, tmp_path: Path
) -> None:
    """orders still selects price: the rename is undone by its down migration, history as before."""
    directory = golang(
        tmp_path / "m",
        ("ALTER TABLE products ADD COLUMN note text;", "ALTER TABLE products DROP COLUMN note;"),
        (
            "ALTER TABLE products RENAME COLUMN price TO unit_price;",
            "ALTER TABLE products RENAME COLUMN unit_price TO price;",
        ),
    )
    contract = ContractQuery(
        "orders", "inventory", "price", "SELECT price FROM products WHERE id = $1"
    )
    report, events = apply(database, directory, contracts=(contract,))
    assert [Status.applied, Status.rolled_back] == [m.status for m in report.migrations]
    undone = report.migrations[1]
    assert "orders/price" in (undone.error or "")
    assert "down migration 000002_step.down.sql run" in (undone.rollback or "")
    assert ["down"] == [s.direction for s in undone.statements[1:]]
    assert {"price", "note"} <= columns(database)
    assert 1 == one(database, "SELECT version FROM schema_migrations")
    assert any(e["event"] == "verification" and not e["ok"] for e in events)


def test_no_rollback_leaves_a_broken_migration_applied(database: str, tmp_path: Path) -> None:
    """With rollback off, the contract failure is reported and the rename stays."""
    directory = golang(
        tmp_path / "m",
        (
            "ALTER TABLE products RENAME COLUMN price TO unit_price;",
            "ALTER TABLE products RENAME COLUMN unit_price TO price;",
        ),
    )
    contract = ContractQuery("orders", "inventory", "price", "SELECT price FROM products")
    report, _ = apply(database, directory, contracts=(contract,), rollback=False)
    assert Status.failed == report.migrations[0].status
    assert "unit_price" in columns(database)
    assert 1 == one(database, "SELECT version FROM schema_migrations")


def test_a_failed_concurrent_index_build_leaves_no_invalid_index(
    database: str, tmp_path: Path
) -> None:
    """CREATE UNIQUE INDEX CONCURRENTLY on duplicates fails; its INVALID index is dropped."""
    directory = golang(
        tmp_path / "m",
        (
            "CREATE UNIQUE INDEX CONCURRENTLY products_sku_key ON products (sku);",
            "DROP INDEX CONCURRENTLY IF EXISTS products_sku_key;",
        ),
    )
    report, events = apply(database, directory)
    (result,) = report.migrations
    assert Status.rolled_back == result.status  # and its down migration run, harmlessly
    assert "23505" in (result.error or "")
    assert any(e["event"] == "invalid_index_dropped" for e in events)
    assert 0 == one(database, "SELECT count(*) FROM pg_index WHERE NOT indisvalid")
    assert None is one(database, "SELECT to_regclass('products_sku_key')")


def test_a_statement_past_its_timeout_fails_without_retry(database: str, tmp_path: Path) -> None:
    """statement_timeout cancels a slow statement; that is a failure, not a lock to wait for."""
    directory = golang(tmp_path / "m", ("SELECT pg_sleep(2);", "SELECT 1;"))
    report, _ = apply(database, directory, statement_timeout_ms=200)
    (result,) = report.migrations
    assert ("57014", []) == ((result.error or "").split(": ", 1)[1][:5], result.retries)
    assert None is one(database, "SELECT version FROM schema_migrations")


def test_plan_shows_findings_and_locks_and_changes_nothing(database: str, tmp_path: Path) -> None:
    """`apply --plan` lists the pending statement with its lint error and expected lock."""
    directory = golang(
        tmp_path / "m",
        ("CREATE INDEX products_sku ON products (sku);", "DROP INDEX products_sku;"),
    )
    result = CliRunner().invoke(
        app,
        ["migrate", "apply", str(directory), "--database-url", database, "--plan", "-f", "json"],
    )
    assert 0 == result.exit_code, result.output
    plan = json.loads(result.output)
    (statement,) = plan["migrations"][0]["statements"]
    assert ["SHARE on products"] == statement["locks"]
    assert "require-concurrent-index-creation" in {f["rule"] for f in statement["findings"]}
    assert None is one(database, "SELECT to_regclass('schema_migrations')")
    assert None is one(database, "SELECT to_regclass('products_sku')")


def test_apply_prints_json_lines_and_records_a_report_and_a_change_event(
    database: str, tmp_path: Path
) -> None:
    """`--format json` is one event a line; `--save` keeps the report and a migration change."""
    directory = golang(
        tmp_path / "inventory" / "migrations",
        (
            "ALTER TABLE products RENAME COLUMN price TO unit_price;",
            "ALTER TABLE products RENAME COLUMN unit_price TO price;",
        ),
    )
    contract = tmp_path / "orders.dbcontract.yaml"
    contract.write_text(
        "apiVersion: interlock/v1\nkind: DatabaseContract\nconsumer: orders\ndatabase: inventory\n"
        "queries:\n  - name: price\n    sql: SELECT price FROM products WHERE id = $1\n"
    )
    data_dir = tmp_path / "data"
    result = CliRunner().invoke(
        app,
        [
            "migrate", "apply", str(directory), "--database-url", database, "-f", "json",
            "--contracts", str(contract), "--save", str(data_dir), "-e", "staging",
        ],
    )  # fmt: skip
    assert 1 == result.exit_code, result.output
    events = [json.loads(line) for line in result.output.splitlines()]
    assert "start" == events[0]["event"]
    assert ("done", False) == (events[-1]["event"], events[-1]["ok"])
    assert "rolled back" == events[-1]["migrations"][0]["status"]
    (saved,) = list_reports(data_dir)
    assert ("apply", False) == (saved.kind, saved.ok)
    engine = create_engine_for(f"sqlite:///{data_dir / 'interlock.db'}")
    try:
        (change,) = recent_changes(engine)
        with engine.connect() as connection:
            (queued,) = connection.execute(select(alert_outbox.c.payload)).scalars()
    finally:
        engine.dispose()
    alert = json.loads(queued) if isinstance(queued, str) else queued
    assert ("MigrationFailed", "firing") == (alert["name"], alert["status"])
    assert ("inventory", "1") == (alert["labels"]["service"], alert["labels"]["migration"])
    assert ("inventory", "migration", "staging") == (
        change.service,
        change.kind,
        change.environment,
    )
    assert ["1"] == change.attributes["undone"]
    assert saved.id == change.attributes["report"]


def test_an_autocommit_file_builds_its_indexes_concurrently_and_lint_agrees(
    database: str, tmp_path: Path
) -> None:
    """`2_idx.autocommit.up.sql` (beside a MySQL twin) runs outside a transaction: lint has no
    CONCURRENTLY-in-a-transaction error for it, and apply builds both indexes."""
    from interlock.migrations import LintSettings, lint_paths

    directory = tmp_path / "m"
    directory.mkdir()
    two = (
        "CREATE INDEX CONCURRENTLY products_sku ON products (sku);\n"
        "CREATE INDEX CONCURRENTLY products_price ON products (price);\n"
    )
    (directory / "000001_idx.postgres.autocommit.up.sql").write_text(two)
    (directory / "000001_idx.mysql.up.sql").write_text(
        "CREATE INDEX products_sku ON products (sku);"
    )
    lint = lint_paths([directory], LintSettings())
    assert "ban-concurrent-index-creation-in-transaction" not in {f.rule for f in lint.findings}
    report, _ = apply(database, directory)
    assert [Status.applied] == [m.status for m in report.migrations]
    assert [False, False] == [s.in_transaction for s in report.migrations[0].statements]
    assert 2 == one(
        database,
        "SELECT count(*) FROM pg_indexes WHERE indexname IN ('products_sku', 'products_price')",
    )


def _record_orders_traffic(data_dir: Path, failing_now: int) -> None:
    """orders' spans in the SQLite span store: 200 good calls over the last five minutes, and
    20 calls in this minute of which `failing_now` failed."""
    from interlock.telemetry import (
        Span,
        SpanKind,
        StatusCode,
        TelemetrySettings,
        open_span_store,
    )

    if time.time() % 60 > 50:  # the watch reads whole minutes: start it in this one
        time.sleep(61 - time.time() % 60)
    minute = int(time.time()) // 60 * 60
    starts = [minute - 300 + i for i in range(0, 200)] + [minute + i % 30 for i in range(20)]
    spans = [
        Span(
            f"{n:032x}",
            f"{n:016x}",
            None,
            "GET /orders",
            SpanKind.SERVER,
            int(start * 1e9),
            int(start * 1e9) + 5_000_000,
            "orders",
            StatusCode.ERROR if 0 <= n - 201 < failing_now else StatusCode.UNSET,
        )
        for n, start in enumerate(starts, start=1)
    ]
    store = open_span_store(TelemetrySettings(data_dir=data_dir))
    try:
        assert store.offer_spans(spans)
        assert store.flush(timeout=10)
    finally:
        store.close()


@pytest.mark.parametrize(("failing_now", "status"), [(10, Status.rolled_back), (0, Status.applied)])
def test_a_rise_in_the_consumers_error_rate_after_a_migration_undoes_it(
    database: str, tmp_path: Path, failing_now: int, status: Status
) -> None:
    """Watched for a second after the migration: orders failing half its calls against a
    clean baseline runs the down migration; the same traffic without errors keeps it."""
    from interlock.migrations.apply_watch import ErrorRateWatch

    data_dir = tmp_path / "data"
    _record_orders_traffic(data_dir, failing_now)
    directory = golang(
        tmp_path / "m",
        ("ALTER TABLE products ADD COLUMN note text;", "ALTER TABLE products DROP COLUMN note;"),
    )
    watch = ErrorRateWatch(1.0, ("orders",), data_dir)
    report, events = apply(database, directory, watch=watch)
    (migration,) = report.migrations
    assert status == migration.status
    (checked,) = [v for v in migration.verification if v.kind == "error-rate"]
    assert (failing_now == 0) == checked.ok
    assert ("note" in columns(database)) == (failing_now == 0)
    if failing_now:
        assert "50.0% (10/20) since the migration, baseline 0.0% (0/200)" in (checked.error or "")
    assert any(e["event"] == "watch" for e in events)


def test_a_watch_with_no_service_or_no_span_store_is_an_input_error(tmp_path: Path) -> None:
    """--watch-seconds needs a consumer to watch and a span store to read: one line, exit 2,
    before anything runs."""
    directory = golang(tmp_path / "m", ("SELECT 1;", "SELECT 1;"))
    base = [sys.executable, "-m", "interlock", "migrate", "apply", str(directory),
            "--database-url", "postgresql://nobody@127.0.0.1:9/none", "--watch-seconds", "5"]  # fmt: skip
    alone = subprocess.run(base, capture_output=True, text=True, timeout=60)
    assert (2, "") == (alone.returncode, alone.stdout)
    assert "--watch-seconds: no service to watch" in alone.stderr
    assert "Traceback" not in alone.stderr
    no_store = subprocess.run(
        [*base, "--watch-service", "orders", "--data-dir", str(tmp_path / "empty")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert 2 == no_store.returncode
    assert "no span store here" in no_store.stderr
