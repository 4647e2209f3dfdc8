"""`migrate check`: one checklist and one verdict from lint, impact and the dry run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from interlock.cli.main import app
from interlock.migrations import read_migrations
from interlock.migrations.apply import apply_migrations

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
RENAME = SHOP / "inventory" / "proposed" / "rename-price"
EXPAND = SHOP / "inventory" / "proposed" / "expand-price"
CONTRACTS = SHOP / "orders" / "contracts"


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["migrate", "check", *args, "--catalog", str(SHOP), "--contracts", str(CONTRACTS)]
    )
    return result.exit_code, result.output


def test_the_rename_fails_the_checklist_naming_orders_and_its_owner() -> None:
    """Without a database: lint and impact; the verdict's reason names the broken service."""
    code, output = check(str(RENAME), "-f", "json")
    assert 1 == code
    report = json.loads(output)
    assert ("fail", ["orders"]) == (report["verdict"], report["broken_consumers"])
    assert "breaks orders" in report["reason"]
    items = {i["id"]: i["status"] for i in report["checklist"]}
    assert {
        "lock-levels": "fail",
        "rewrites": "fail",
        "breaking-changes": "fail",
        "backfill": "pass",
        "rollback": "skipped",
        "duration": "skipped",
    } == items
    assert {"orders": "team-orders"} == report["owners"]


def test_markdown_is_a_pull_request_checklist() -> None:
    """`--format markdown`: a heading with the verdict, a task list, the findings folded."""
    code, output = check(str(RENAME), "--format", "markdown")
    assert 1 == code
    assert output.startswith("### ❌ Migration check: fail")
    assert "- [ ] ❌ **Breaking changes**: breaks orders" in output
    assert "breaks orders (owner team-orders)" in output
    assert "<details><summary>Lint findings (3)</summary>" in output


def test_github_format_annotates_findings_and_failed_items() -> None:
    """`--format github`: the lint findings, then an ::error per failed item at its place."""
    code, output = check(str(RENAME), "-f", "github")
    assert 1 == code
    lines = output.splitlines()
    assert any(line.startswith("::error ") and "title=renaming-column" in line for line in lines)
    breaking = next(line for line in lines if "title=migrate check%3A Breaking changes" in line)
    assert "000003_rename_price.up.sql,line=1," in breaking
    assert "breaks orders" in breaking


@pytest.mark.postgres
def test_the_expand_step_passes_with_a_dry_run_on_a_copy(postgres: Any, tmp_path: Path) -> None:
    """With a database at version 2: the dry run tests the rollback and measures duration;
    the backfill is a warning to batch, and nothing fails."""
    url = postgres.create_database("check_expand")
    applied = tmp_path / "applied"
    shutil.copytree(SHOP / "inventory" / "migrations", applied)
    assert apply_migrations(url, read_migrations(applied)).ok
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO products SELECT g, 'sku-' || g, 'p' || g, g FROM generate_series(1, 5000) g"
        )
    code, output = check(str(EXPAND), "--database-url", url, "-f", "json")
    report = json.loads(output)
    items = {i["id"]: i for i in report["checklist"]}
    assert 0 == code, report["reason"]
    assert ["3", "4", "5"] == [v.lstrip("0") for v in report["pending"]]
    assert "pass" == items["rollback"]["status"]
    assert "warn" == items["backfill"]["status"]
    assert "5000 rows read" in items["backfill"]["details"][0]
    assert "on the copy" in items["duration"]["summary"]
