"""A database `env up` made from a migrations directory knows its history, as the tool would.

`migrate dry-run` against it then treats the applied migrations as applied, and only the
proposed ones as pending.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"

SHOP_DATABASES = """\
name: shop-databases
service: gateway
dependencies:
  inventory-db:
    postgres:
      migrations: {shop}/inventory/migrations
      database: inventory
  orders-db:
    postgres:
      migrations: {shop}/orders/migrations
      database: orders
"""


@pytest.mark.postgres
def test_dry_run_against_an_env_database_sees_its_applied_migrations(
    write_env: Callable[[str], Path],
    env_cli: Callable[..., subprocess.CompletedProcess[str]],
    state_json: Callable[[Path], dict[str, Any]],
    tmp_path: Path,
) -> None:
    """golang-migrate's schema_migrations says version 2; the dry run's pending is 3, 4, 5."""
    up = env_cli("up", str(write_env(SHOP_DATABASES)))
    assert 0 == up.returncode, up.stderr
    variables = state_json(tmp_path / "state" / "state.json")["variables"]
    inventory, orders = variables["INVENTORY_DB_DATABASE_URL"], variables["ORDERS_DB_DATABASE_URL"]
    for url in (inventory, orders):
        with psycopg.connect(url) as conn:
            assert [(2, False)] == conn.execute(
                "SELECT version, dirty FROM schema_migrations"
            ).fetchall()

    dry_run = subprocess.run(
        [
            sys.executable,
            "-m",
            "interlock",
            "migrate",
            "dry-run",
            str(SHOP / "inventory" / "proposed" / "expand-price"),
            "--database-url",
            inventory,
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in dry_run.stderr
    report = json.loads(dry_run.stdout)
    assert ["3", "4", "5"] == report["pending"]
    assert {"3", "4", "5"} == {s["migration"] for s in report["statements"]}
