"""The dry run on a real PostgreSQL: locks, rewrites, contracts, rollback, and a source left alone.

The lock modes asserted here are the ones PostgreSQL's documentation gives for each
statement (ALTER TABLE, CREATE INDEX and "Explicit Locking" pages).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from interlock.contracts.database import ContractQuery
from interlock.migrations import read_migrations
from interlock.migrations.dryrun import DryRunReport, StatementRun, dry_run

pytestmark = pytest.mark.postgres

ROWS = 1_000_000


@pytest.fixture(scope="module")
def source_db(postgres: Any) -> str:
    """A database with a 1,000,000-row `products` table and an `orders` table beside it."""
    url = postgres.create_database("dryrun_source")
    with psycopg.connect(url) as conn:
        conn.execute(
            """
            CREATE TABLE products (id integer PRIMARY KEY, name varchar(40) NOT NULL,
                                   price integer, note varchar(10));
            INSERT INTO products SELECT g, 'product ' || g, g % 1000, 'n' FROM generate_series(1, %s) g;
            CREATE TABLE orders (id integer PRIMARY KEY, product_id integer NOT NULL);
            INSERT INTO orders SELECT g, g FROM generate_series(1, 1000) g;
            """.replace("%s", str(ROWS))
        )
    return url


def write_migrations(directory: Path, ups: list[str], downs: list[str] | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for index, up in enumerate(ups, start=1):
        (directory / f"{index:06d}_step.up.sql").write_text(up + "\n")
        down = downs[index - 1] if downs else "SELECT 1;"
        (directory / f"{index:06d}_step.down.sql").write_text(down + "\n")
    return directory


Run = Callable[..., DryRunReport]


@pytest.fixture
def run(source_db: str, tmp_path: Path) -> Run:
    def go(ups: list[str], downs: list[str] | None = None, **options: Any) -> DryRunReport:
        return dry_run(
            source_db, read_migrations(write_migrations(tmp_path / "m", ups, downs)), **options
        )

    return go


def only_statement(report: DryRunReport) -> StatementRun:
    assert 1 == len(report.statements), report.statements
    statement = report.statements[0]
    assert statement.error is None, statement.error
    return statement


def modes_on(statement: StatementRun, relation: str) -> set[str]:
    return {lock.mode for lock in statement.locks if lock.relation == relation}


def test_add_column_with_volatile_default_rewrites_under_access_exclusive(run: Run) -> None:
    statement = only_statement(
        run(["ALTER TABLE products ADD COLUMN token float8 DEFAULT random();"])
    )
    assert "ACCESS EXCLUSIVE" in modes_on(statement, "public.products")
    assert "public.products" in statement.rewritten


def test_add_column_with_stable_default_does_not_rewrite(run: Run) -> None:
    statement = only_statement(
        run(["ALTER TABLE products ADD COLUMN created timestamptz DEFAULT now();"])
    )
    assert "ACCESS EXCLUSIVE" in modes_on(statement, "public.products")
    assert "public.products" not in statement.rewritten


def test_int_to_bigint_rewrites(run: Run) -> None:
    statement = only_statement(run(["ALTER TABLE products ALTER COLUMN price TYPE bigint;"]))
    assert "ACCESS EXCLUSIVE" in modes_on(statement, "public.products")
    assert "public.products" in statement.rewritten


def test_varchar_widening_does_not_rewrite(run: Run) -> None:
    statement = only_statement(run(["ALTER TABLE products ALTER COLUMN note TYPE varchar(20);"]))
    assert "ACCESS EXCLUSIVE" in modes_on(statement, "public.products")
    assert [] == statement.rewritten


def test_set_not_null_takes_access_exclusive_without_rewrite(run: Run) -> None:
    statement = only_statement(run(["ALTER TABLE products ALTER COLUMN price SET NOT NULL;"]))
    assert "ACCESS EXCLUSIVE" in modes_on(statement, "public.products")
    assert [] == statement.rewritten


def test_create_index_takes_share(run: Run) -> None:
    statement = only_statement(run(["CREATE INDEX products_price ON products (price);"]))
    assert {"SHARE"} == modes_on(statement, "public.products")


def test_create_index_concurrently_takes_share_update_exclusive(run: Run) -> None:
    statement = only_statement(
        run(["CREATE INDEX CONCURRENTLY products_price ON products (price);"])
    )
    assert not statement.in_transaction
    assert {"SHARE UPDATE EXCLUSIVE"} == modes_on(statement, "public.products")


def test_add_foreign_key_locks_both_tables_and_scans(run: Run) -> None:
    statement = only_statement(
        run(
            [
                "ALTER TABLE orders ADD CONSTRAINT orders_product FOREIGN KEY (product_id) REFERENCES products (id);"
            ]
        )
    )
    assert "SHARE ROW EXCLUSIVE" in modes_on(statement, "public.orders")
    assert "SHARE ROW EXCLUSIVE" in modes_on(statement, "public.products")
    assert statement.rows_scanned.get("public.orders", 0) >= 1000


def test_add_foreign_key_not_valid_does_not_scan(run: Run) -> None:
    statement = only_statement(
        run(
            [
                "ALTER TABLE orders ADD CONSTRAINT orders_product FOREIGN KEY (product_id) "
                "REFERENCES products (id) NOT VALID;"
            ]
        )
    )
    assert "SHARE ROW EXCLUSIVE" in modes_on(statement, "public.orders")
    assert 0 == statement.rows_scanned.get("public.orders", 0)


def test_lock_timeout_is_noticed(run: Run) -> None:
    report = run(["SET lock_timeout = '2s';\nALTER TABLE products ADD COLUMN flag boolean;"])
    alter = report.statements[1]
    assert all(lock.guarded for lock in alter.locks)


def test_a_renamed_column_breaks_a_consumer_contract(run: Run) -> None:
    contracts = [
        ContractQuery(
            "orders",
            "inventory",
            "product-price",
            "SELECT id, name, price FROM products WHERE id = $1",
        ),
        ContractQuery(
            "orders", "inventory", "product-name", "SELECT name FROM products WHERE id = $1"
        ),
    ]
    report = run(
        ["ALTER TABLE products RENAME COLUMN price TO price_cents;"],
        ["ALTER TABLE products RENAME COLUMN price_cents TO price;"],
        contracts=contracts,
    )
    assert ["product-price"] == [check.query.name for check in report.broken_contracts]
    assert 'column "price" does not exist' in (report.broken_contracts[0].error or "")
    assert not report.ok


def test_a_down_that_forgets_an_index_fails_the_rollback_check(run: Run) -> None:
    report = run(
        [
            "CREATE INDEX products_name ON products (name);\nALTER TABLE products ALTER COLUMN note SET DEFAULT 'x';"
        ],
        ["ALTER TABLE products ALTER COLUMN note DROP DEFAULT;"],
    )
    assert report.rollback_checked
    assert [("index", "public.products_name")] == [(d.kind, d.name) for d in report.rollback]
    assert not report.ok


def test_a_down_that_forgets_a_default_fails_the_rollback_check(run: Run) -> None:
    report = run(["ALTER TABLE products ALTER COLUMN note SET DEFAULT 'x';"], ["SELECT 1;"])
    assert [("column", "public.products.note")] == [(d.kind, d.name) for d in report.rollback]


def test_a_correct_down_passes_the_rollback_check(run: Run) -> None:
    report = run(
        ["CREATE INDEX CONCURRENTLY products_name ON products (name);"],
        ["DROP INDEX CONCURRENTLY products_name;"],
    )
    assert report.rollback_checked
    assert [] == report.rollback
    assert report.ok


def checksum(url: str) -> str:
    digest = hashlib.sha256()
    with psycopg.connect(url) as conn:
        for query in (
            "SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY 1, 2",
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
            "SELECT md5(string_agg(md5(p::text), '' ORDER BY id)) FROM products p",
            "SELECT md5(string_agg(md5(o::text), '' ORDER BY id)) FROM orders o",
        ):
            digest.update(repr(conn.execute(query).fetchall()).encode())  # type: ignore[arg-type]
    return digest.hexdigest()


def test_the_source_database_is_unchanged(run: Run, source_db: str) -> None:
    before = checksum(source_db)
    run(["ALTER TABLE products ALTER COLUMN price TYPE bigint;", "DELETE FROM orders;"])
    run(["ALTER TABLE products DROP COLUMN note;"], sample_percent=10.0, masks=["products.name"])
    assert before == checksum(source_db)


def test_a_sampled_masked_copy_copies_a_share_of_the_rows(run: Run) -> None:
    report = run(["SELECT 1;"], sample_percent=1.0, masks=["products.name"])
    assert report.copy is not None
    assert "dump" == report.copy.method
    assert report.copy.rows_copied is not None
    assert 1000 < report.copy.rows_copied < ROWS // 10
