"""Reading environment files: what a valid file gives, and errors that name file, line, column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from interlock.envs import dependency_order, load_environment_file
from interlock.errors import SourceError

WriteEnv = Callable[[str], Path]

VALID = """\
name: orders-test
service: orders
catalog: {shop}
dependencies:
  payments:
    real:
      command: ${python} -m payments.app
      cwd: {shop}
      health: http://127.0.0.1:${port}/health
      port: auto
  inventory:
    stub: {shop}/pacts/orders-inventory.json
    state: products exist
  inventory-db:
    postgres:
      migrations: {shop}/inventory/migrations
faults:
  inventory:
    - type: latency
      latency: 100
"""


def test_valid_file_gives_each_dependency_and_its_variable(write_env: WriteEnv) -> None:
    spec = load_environment_file(write_env(VALID))
    assert "orders-test" == spec.name
    assert "orders" == spec.service
    assert [
        ("payments", "real", "PAYMENTS_URL"),
        ("inventory", "stub", "INVENTORY_URL"),
        ("inventory-db", "postgres", "INVENTORY_DB_DATABASE_URL"),
    ] == [(d.name, d.kind, d.variable) for d in spec.dependencies]
    inventory = spec.dependencies[1]
    assert inventory.stub is not None
    assert "products exist" == inventory.stub.state
    assert ({"type": "latency", "latency": 100},) == inventory.faults
    database = spec.dependencies[2].postgres
    assert database is not None
    assert "inventory_db" == database.database


def _error(write_env: WriteEnv, text: str) -> str:
    path = write_env(text)
    with pytest.raises(SourceError) as caught:
        load_environment_file(path)
    return str(caught.value).replace(str(path), "FILE")


def test_unknown_key_names_line_and_column(write_env: WriteEnv) -> None:
    message = _error(
        write_env, "name: x\nservice: a\ndependencies:\n  b:\n    stub: .\n    colour: red\n"
    )
    assert message.startswith("FILE:6:13: ")
    assert "dependencies.b.colour: unknown key; expected one of stub, real, postgres" in message


def test_dependency_needs_exactly_one_kind(write_env: WriteEnv) -> None:
    message = _error(write_env, "name: x\nservice: a\ndependencies:\n  b:\n    variable: B\n")
    assert message.startswith("FILE:5:5: ")
    assert "expected exactly one of `stub`, `real`, `postgres`, found none" in message


def test_real_without_command_is_reported(write_env: WriteEnv) -> None:
    message = _error(
        write_env, "name: x\nservice: a\ndependencies:\n  b:\n    real:\n      port: auto\n"
    )
    assert message.startswith("FILE:6:7: ")
    assert "dependencies.b.real.command: expected a command line or a list of arguments" in message


def test_missing_stub_source_names_the_path(write_env: WriteEnv) -> None:
    message = _error(
        write_env, "name: x\nservice: a\ndependencies:\n  b:\n    stub: nowhere.json\n"
    )
    assert message.startswith("FILE:5:11: ")
    assert "nowhere.json does not exist" in message


def test_bad_fault_is_reported_at_its_place(write_env: WriteEnv) -> None:
    text = "name: x\nservice: a\ndependencies:\n  b:\n    stub: .\nfaults:\n  b:\n    - type: lag\n"
    message = _error(write_env, text)
    assert message.startswith("FILE:8:7: ")
    assert "faults.b[0].type: expected one of latency" in message


def test_faults_only_apply_to_stubs(write_env: WriteEnv) -> None:
    text = "name: x\nservice: a\ndependencies:\n  db:\n    postgres:\nfaults:\n  db: []\n"
    message = _error(write_env, text)
    assert message.startswith("FILE:7:7: ")
    assert "faults.db: faults apply to stub dependencies" in message


def test_bad_name_and_bad_port(write_env: WriteEnv) -> None:
    assert "name: expected a name of letters" in _error(write_env, "name: a b\nservice: a\n")
    message = _error(
        write_env,
        "name: x\nservice: a\ndependencies:\n  b:\n    real:\n      command: run\n      port: high\n",
    )
    assert message.startswith("FILE:7:13: ")
    assert "port: expected `auto` or a port number, found 'high'" in message


def test_invalid_yaml_names_the_place(write_env: WriteEnv) -> None:
    """An unclosed bracket is reported where it opens, not where the file ends."""
    assert _error(write_env, "name: [x\n").startswith("FILE:1:7")


def test_catalog_orders_callees_before_callers(write_env: WriteEnv) -> None:
    """With the shop's catalog, gateway (calls orders, inventory) starts after them."""
    real = "    real:\n      command: run\n      port: auto\n"
    text = "name: x\nservice: test\ncatalog: {shop}\ndependencies:\n" + "".join(
        f"  {name}:\n{real}" for name in ("gateway", "orders", "inventory", "payments")
    )
    order = [d.name for d in dependency_order(load_environment_file(write_env(text)))]
    assert ["inventory", "payments", "orders", "gateway"] == order


def test_without_catalog_the_file_order_is_kept(write_env: WriteEnv) -> None:
    real = "    real:\n      command: run\n      port: auto\n"
    text = "name: x\nservice: test\ndependencies:\n" + "".join(
        f"  {name}:\n{real}" for name in ("gateway", "orders", "inventory")
    )
    order = [d.name for d in dependency_order(load_environment_file(write_env(text)))]
    assert ["gateway", "orders", "inventory"] == order
