"""`interlock broker ...` and `interlock contract verify --broker` against a running broker."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from interlock.cli.main import app

INTERLOCK = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "interlock"
DB_CONTRACT = """apiVersion: interlock/v1
kind: DatabaseContract
consumer: orders
database: inventory
queries:
  - name: product-for-order
    sql: SELECT id, name, price FROM products WHERE id = $1
"""

runner = CliRunner()
pytestmark = pytest.mark.server


def _cli(broker: Any, *args: str) -> Any:
    result = runner.invoke(app, [*args, "--broker-url", broker.url])
    return result


def test_publish_deploy_and_can_i_deploy_exit_codes(
    broker: Any, tmp_path: Path, make_pact_file: Callable[..., Path]
) -> None:
    """can-i-deploy exits 1 until the deployed provider verified the pact, then 0."""
    make_pact_file(tmp_path / "pacts", "web", "orders")
    published = _cli(
        broker,
        "broker",
        "publish",
        str(tmp_path / "pacts"),
        "--consumer-version",
        "1.0.0",
        "--branch",
        "main",
    )
    assert 0 == published.exit_code, published.output
    assert 0 == _cli(broker, "broker", "create-environment", "--name", "production").exit_code
    ask = ["broker", "can-i-deploy", "--pacticipant", "web", "--version", "1.0.0"]
    no = _cli(broker, *ask, "--to", "production", "--format", "json")
    assert 1 == no.exit_code, no.output
    assert False is json.loads(no.output)["summary"]["deployable"]

    with broker.client() as client:
        pact = client.get("/pacts/provider/orders/consumer/web/latest").json()
        client.post(
            pact["_links"]["pb:publish-verification-results"]["href"],
            json={"success": True, "providerApplicationVersion": "2.0.0"},
        )
    deployed = _cli(
        broker,
        "broker",
        "record-deployment",
        "--pacticipant",
        "orders",
        "--version",
        "2.0.0",
        "--environment",
        "production",
    )
    assert 0 == deployed.exit_code, deployed.output
    yes = _cli(broker, *ask, "--to", "production")
    assert 0 == yes.exit_code, yes.output
    assert "can-i-deploy web to production: yes" in yes.output


def test_database_contract_is_published_like_a_pact(broker: Any, tmp_path: Path) -> None:
    """A *.dbcontract.yaml is stored for the consumer version, with the database as provider."""
    contract = tmp_path / "inventory.dbcontract.yaml"
    contract.write_text(DB_CONTRACT, encoding="utf-8")
    result = _cli(broker, "broker", "publish", str(contract), "--consumer-version", "3.1.0")
    assert 0 == result.exit_code, result.output
    with broker.client() as client:
        stored = client.get("/pacts/provider/inventory/consumer/orders/version/3.1.0").json()
    stored.pop("_links")
    assert "product-for-order" == stored["queries"][0]["name"]


def test_unreachable_broker_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            str(INTERLOCK),
            "broker",
            "can-i-deploy",
            "--pacticipant",
            "web",
            "--to",
            "production",
            "--broker-url",
            "http://127.0.0.1:9/broker",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert 2 == result.returncode
    assert "cannot reach it" in result.stderr
    assert "Traceback" not in result.stderr


def test_contract_verify_with_broker_publishes_results(
    broker: Any, order_provider: str, tmp_path: Path, make_pact_file: Callable[..., Path]
) -> None:
    """`contract verify --broker --publish` verifies the selected pacts and the matrix shows it."""
    make_pact_file(tmp_path / "pacts", "web", "orders")
    _cli(
        broker,
        "broker",
        "publish",
        str(tmp_path / "pacts"),
        "--consumer-version",
        "1.0.0",
        "--branch",
        "main",
    )
    result = runner.invoke(
        app,
        [
            "contract",
            "verify",
            "--provider",
            "orders",
            "--base-url",
            order_provider,
            "--broker",
            broker.url,
            "--provider-version",
            "2.0.0",
            "--provider-branch",
            "main",
            "--publish",
        ],
    )
    assert 0 == result.exit_code, result.output
    assert "PASS a request for order 42" in result.output
    with broker.client() as client:
        rows = client.get(
            "/matrix?q[][pacticipant]=web&q[][version]=1.0.0"
            "&q[][pacticipant]=orders&q[][version]=2.0.0"
        ).json()["matrix"]
        provider = client.get("/pacticipants/orders/versions/2.0.0").json()
    assert [True] == [row["verificationResult"]["success"] for row in rows]
    assert ["main"] == [b["name"] for b in provider["_embedded"]["branchVersions"]]


def test_failed_database_contract_blocks_the_database_owners_deploy(
    broker: Any, tmp_path: Path
) -> None:
    """A migration version that broke a deployed consumer's queries may not go there."""
    contract = tmp_path / "inventory.dbcontract.yaml"
    contract.write_text(DB_CONTRACT, encoding="utf-8")
    _cli(broker, "broker", "publish", str(contract), "--consumer-version", "3.1.0")
    _cli(broker, "broker", "create-environment", "--name", "production")
    _cli(
        broker,
        "broker",
        "record-deployment",
        "--pacticipant",
        "orders",
        "--version",
        "3.1.0",
        "--environment",
        "production",
    )
    with broker.client() as client:
        stored = client.get("/pacts/provider/inventory/consumer/orders/latest").json()
        client.post(
            stored["_links"]["pb:publish-verification-results"]["href"],
            json={"success": False, "providerApplicationVersion": "2.3.0"},
        )
    result = _cli(
        broker,
        "broker",
        "can-i-deploy",
        "--pacticipant",
        "inventory",
        "--version",
        "2.3.0",
        "--to",
        "production",
    )
    assert 1 == result.exit_code, result.output
    assert "version 3.1.0 of orders and version 2.3.0 of inventory failed" in result.output
