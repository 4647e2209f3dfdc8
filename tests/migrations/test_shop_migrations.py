"""The example shop's proposed inventory migrations: the rename is caught, expand/contract passes.

Lint, impact and the dry run each catch their part of the dangerous version, through
the real CLI against a real PostgreSQL; the safe version passes all three.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

REPO = Path(__file__).resolve().parents[2]
SHOP = REPO / "examples" / "shop"
PROPOSED = SHOP / "inventory" / "proposed"
CONTRACTS = SHOP / "orders" / "contracts"


def interlock(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interlock", *args], capture_output=True, text=True, cwd=REPO
    )


def new_files(version: str) -> list[str]:
    return [str(p) for p in sorted((PROPOSED / version).glob("*.up.sql")) if not p.is_symlink()]


def test_lint_catches_the_rename_and_the_blocking_index() -> None:
    result = interlock("migrate", "lint", *new_files("rename-price"), "--format", "json")
    assert 1 == result.returncode, result.stderr
    rules = {f["rule"] for f in json.loads(result.stdout)["findings"] if f["severity"] == "error"}
    assert {"renaming-column", "require-concurrent-index-creation"} <= rules


def test_lint_passes_the_expand_version() -> None:
    result = interlock("migrate", "lint", *new_files("expand-price"))
    assert 0 == result.returncode, result.stdout + result.stderr


def test_impact_names_orders_for_the_rename_and_nobody_for_the_expand() -> None:
    common = ["--catalog", str(SHOP), "--contracts", str(CONTRACTS), "--format", "json"]
    rename = interlock("migrate", "impact", str(PROPOSED / "rename-price"), *common)
    assert 1 == rename.returncode, rename.stderr
    (change,) = json.loads(rename.stdout)["changes"]
    assert ["orders"] == change["services"]
    assert {"catalog", "contract"} == {u["source"] for u in change["uses"]}
    expand = interlock("migrate", "impact", str(PROPOSED / "expand-price"), "--from", "2", *common)
    assert 0 == expand.returncode, expand.stdout + expand.stderr


@pytest.fixture(scope="module")
def inventory_db(postgres: Any) -> str:
    """The inventory database as production has it: migrations 1 and 2 applied, with rows."""
    url = postgres.create_database("shop_inventory")
    with psycopg.connect(url) as conn:
        for name in ("000001_create_products.up.sql", "000002_index_products_sku.up.sql"):
            conn.execute((SHOP / "inventory" / "migrations" / name).read_text())  # type: ignore[arg-type]
        conn.execute(
            "CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL)"
        )
        conn.execute("INSERT INTO schema_migrations VALUES (2, false)")
        conn.execute(
            "INSERT INTO products (id, sku, name, price, stock) "
            "SELECT g, 'sku-' || g, 'product ' || g, g % 5000, 10 FROM generate_series(1, 20000) g"
        )
    return url


@pytest.mark.postgres
def test_dry_run_breaks_the_orders_contract_for_the_rename(inventory_db: str) -> None:
    result = interlock(
        "migrate", "dry-run", str(PROPOSED / "rename-price"), "--database-url", inventory_db,
        "--contracts", str(CONTRACTS), "--format", "json",
    )  # fmt: skip
    assert 1 == result.returncode, result.stderr
    report = json.loads(result.stdout)
    assert ["3"] == report["pending"]
    (check,) = report["contracts"]
    assert not check["ok"]
    assert 'column "price" does not exist' in check["error"]
    index = next(s for s in report["statements"] if "CREATE INDEX" in s["sql"])
    assert ["SHARE"] == [
        lock["mode"] for lock in index["locks"] if lock["relation"] == "public.products"
    ]


@pytest.mark.postgres
def test_dry_run_passes_the_expand_version(inventory_db: str) -> None:
    result = interlock(
        "migrate", "dry-run", str(PROPOSED / "expand-price"), "--database-url", inventory_db,
        "--contracts", str(CONTRACTS), "--format", "json",
    )  # fmt: skip
    report = json.loads(result.stdout)
    assert 0 == result.returncode, json.dumps(report, indent=2)
    assert ["3", "4", "5"] == report["pending"]
    assert report["rollback"]["checked"]
    assert [] == report["rollback"]["differences"]
