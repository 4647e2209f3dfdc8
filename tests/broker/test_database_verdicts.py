"""`interlock migrate dry-run --broker`: the dry run replays the broker's database contracts and
publishes its verdict on each, which can-i-deploy then reads."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from interlock.cli.main import app

from .conftest import RunningBroker

REPO = Path(__file__).resolve().parents[2]
SHOP = REPO / "examples" / "shop"
PROPOSED = SHOP / "inventory" / "proposed"
ORDERS_CONTRACT = SHOP / "orders" / "contracts"
INTERLOCK = REPO / ".venv" / "bin" / "interlock"

runner = CliRunner()
pytestmark = [pytest.mark.server, pytest.mark.postgres]


@pytest.fixture(scope="module")
def inventory_db(postgres: Any) -> str:
    """The inventory database as production has it: migrations 1 and 2 applied, with rows."""
    url: str = postgres.create_database("broker_inventory")
    with psycopg.connect(url) as conn:
        for name in ("000001_create_products.up.sql", "000002_index_products_sku.up.sql"):
            conn.execute((SHOP / "inventory" / "migrations" / name).read_text())  # type: ignore[arg-type]
        conn.execute(
            "CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL)"
        )
        conn.execute("INSERT INTO schema_migrations VALUES (2, false)")
        conn.execute(
            "INSERT INTO products (id, sku, name, price, stock) "
            "SELECT g, 'sku-' || g, 'product ' || g, g % 50, 10 FROM generate_series(1, 200) g"
        )
    return url


def _broker(broker: RunningBroker, *args: str) -> Any:
    return runner.invoke(app, ["broker", *args, "--broker-url", broker.url])


def _orders_in_production(broker: RunningBroker) -> None:
    """orders 1.0.0 published its database contract with inventory and runs in production."""
    published = _broker(broker, "publish", str(ORDERS_CONTRACT), "--consumer-version", "1.0.0")
    assert 0 == published.exit_code, published.output
    assert 0 == _broker(broker, "create-environment", "--name", "production").exit_code
    deployed = _broker(
        broker, "record-deployment", "--pacticipant", "orders", "--version", "1.0.0",
        "--environment", "production",
    )  # fmt: skip
    assert 0 == deployed.exit_code, deployed.output


def _dry_run_args(broker: RunningBroker, proposal: str, version: str, source: str) -> list[str]:
    return [
        "migrate", "dry-run", str(PROPOSED / proposal), "--database-url", source,
        "--broker", broker.url, "--version", version, "--database", "inventory",
        "--format", "json",
    ]  # fmt: skip


def _dry_run(broker: RunningBroker, proposal: str, version: str, source: str) -> Any:
    return runner.invoke(app, _dry_run_args(broker, proposal, version, source))


def _can_i_deploy(broker: RunningBroker, version: str) -> Any:
    return _broker(
        broker, "can-i-deploy", "--pacticipant", "inventory", "--version", version,
        "--to", "production", "--format", "json",
    )  # fmt: skip


def test_the_rename_publishes_a_failure_and_can_i_deploy_says_no(
    broker: RunningBroker, inventory_db: str
) -> None:
    """The rename breaks orders' query: its failure is published and can-i-deploy exits 1."""
    _orders_in_production(broker)
    result = _dry_run(broker, "rename-price", "1.1.0-rename", inventory_db)
    assert 1 == result.exit_code, result.output
    (verdict,) = json.loads(result.stdout)["broker"]
    assert ("orders", "1.0.0", "inventory", False) == (
        verdict["consumer"],
        verdict["consumer_version"],
        verdict["database"],
        verdict["success"],
    )
    assert 'column "price" does not exist' in verdict["failures"][0]
    answer = _can_i_deploy(broker, "1.1.0-rename")
    assert 1 == answer.exit_code, answer.output
    summary = json.loads(answer.stdout)["summary"]
    assert (False, 1) == (summary["deployable"], summary["failed"])
    text = runner.invoke(
        app, [*_dry_run_args(broker, "rename-price", "1.1.0-rename", inventory_db)[:-2]]
    )
    assert "database contract: failure published" in " ".join(text.stdout.split())


def test_the_expand_publishes_a_success_and_can_i_deploy_says_yes(
    broker: RunningBroker, inventory_db: str
) -> None:
    """The expand keeps orders' query working: success is published and can-i-deploy exits 0."""
    _orders_in_production(broker)
    before = _can_i_deploy(broker, "1.1.0-expand")
    assert 1 == before.exit_code, before.output
    result = _dry_run(broker, "expand-price", "1.1.0-expand", inventory_db)
    assert 0 == result.exit_code, result.output
    (verdict,) = json.loads(result.stdout)["broker"]
    assert (True, []) == (verdict["success"], verdict["failures"])
    answer = _can_i_deploy(broker, "1.1.0-expand")
    assert 0 == answer.exit_code, answer.output
    assert True is json.loads(answer.stdout)["summary"]["deployable"]


def test_the_latest_database_contract_is_replayed_not_a_newer_pact(
    broker: RunningBroker, inventory_db: str, tmp_path: Path
) -> None:
    """A consumer's newer version with only a pact leaves its older database contract in play."""
    _orders_in_production(broker)
    pact = {
        "consumer": {"name": "orders"},
        "provider": {"name": "inventory"},
        "interactions": [],
        "metadata": {"pactSpecification": {"version": "3.0.0"}},
    }
    (tmp_path / "orders-inventory.json").write_text(json.dumps(pact))
    newer = _broker(
        broker, "publish", str(tmp_path / "orders-inventory.json"), "--consumer-version", "1.1.0"
    )
    assert 0 == newer.exit_code, newer.output
    result = _dry_run(broker, "rename-price", "1.1.0-rename", inventory_db)
    (verdict,) = json.loads(result.stdout)["broker"]
    assert ("1.0.0", False) == (verdict["consumer_version"], verdict["success"])


def test_version_is_required_with_broker(broker: RunningBroker, inventory_db: str) -> None:
    """--broker without --version is a one-line usage error, exit 2."""
    result = subprocess.run(
        [str(INTERLOCK), "migrate", "dry-run", str(PROPOSED / "expand-price"),
         "--database-url", inventory_db, "--broker", broker.url],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert 2 == result.returncode, result.stderr
    assert 1 == len(result.stderr.strip().splitlines()), result.stderr
    assert "--version: required with --broker" in result.stderr
