"""`interlock env up|status|down` with real processes: a shop service, PostgreSQL, stubs.

Each test runs the CLI as a child process, as a user would, and checks what it leaves behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
import pytest

from interlock.envs import dotenv_text

WriteEnv = Callable[[str], Path]

SHOP_ENV = """\
name: orders-test
service: orders
catalog: {shop}
dependencies:
  payments:
    real:
      command: ${python} -m payments.app
      cwd: {shop}
      env: {LOG_LEVEL: warning, OTEL_BSP_SCHEDULE_DELAY: 50}
      health: http://127.0.0.1:${port}/health
      port: auto
  inventory:
    stub: {shop}/pacts/orders-inventory.json
    state: product 2 is in stock
  inventory-db:
    postgres:
      migrations: {shop}/inventory/migrations
      database: inventory
      seed: seed.sql
faults:
  inventory:
    - type: error
      status: 503
      route: GET /faulty
"""


@pytest.mark.server
@pytest.mark.postgres
def test_up_status_down_of_a_real_service_a_database_and_a_stub(
    write_env: WriteEnv, env_cli, state_json, live_pieces, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Everything answers while up, and nothing runs or stays on disk after down."""
    (tmp_path / "seed.sql").write_text(
        "INSERT INTO products (id, sku, name, price, stock) VALUES (1, 'SKU-1', 'Mug', 800, 5);\n"
    )
    env_file = write_env(SHOP_ENV)
    up = env_cli("up", str(env_file), "--format", "json")
    assert 0 == up.returncode, up.stderr
    state = state_json(tmp_path / "state" / "state.json")
    variables = state["variables"]
    assert ["otlp-collector", "stubs", "inventory-db", "payments"] == [
        p["name"] for p in state["pieces"]
    ]
    assert {
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "INTERLOCK_STUB_ADMIN_URL",
        "INVENTORY_URL",
        "INVENTORY_DB_DATABASE_URL",
        "DATABASE_URL",
        "PAYMENTS_URL",
    } == set(variables)
    assert dotenv_text(variables) == (tmp_path / "state" / ".env").read_text()

    payment = httpx.post(
        f"{variables['PAYMENTS_URL']}/payments",
        json={"amount": 500, "currency": "EUR", "order_id": "o-1"},
    )
    assert 201 == payment.status_code
    with psycopg.connect(variables["DATABASE_URL"]) as conn:
        row = conn.execute("SELECT sku, stock FROM products").fetchone()
    assert ("SKU-1", 5) == row
    reserve = httpx.post(f"{variables['INVENTORY_URL']}/products/2/reserve", json={"quantity": 3})
    assert 200 == reserve.status_code, reserve.text
    assert 503 == httpx.get(f"{variables['INVENTORY_URL']}/faulty").status_code
    admin = httpx.get(f"{variables['INTERLOCK_STUB_ADMIN_URL']}/services").json()
    inventory = next(s for s in admin["services"] if s["name"] == "inventory")
    assert "product 2 is in stock" == inventory["provider_state"]

    status = env_cli("status", "--format", "json")
    assert 0 == status.returncode, status.stderr
    assert all(item["healthy"] for item in json.loads(status.stdout)["status"])

    assert 1 == len(_payment_traces(tmp_path / "state" / "telemetry")), "traces reach the collector"

    again = env_cli("up", str(env_file))
    assert 2 == again.returncode
    assert "environment 'orders-test' is already up" in again.stderr

    payments = next(p for p in state["pieces"] if p["name"] == "payments")
    os.killpg(payments["pgid"], signal.SIGKILL)
    stopped = env_cli("status")
    assert 1 == stopped.returncode
    assert "stopped" in stopped.stdout

    down = env_cli("down")
    assert 0 == down.returncode, down.stderr
    assert [] == live_pieces(state)
    assert not (tmp_path / "state" / "state.json").exists()
    assert not (tmp_path / "state" / ".env").exists()


@pytest.mark.server
@pytest.mark.postgres
def test_failed_start_stops_everything_already_started(
    write_env: WriteEnv, env_cli, state_json, live_pieces, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A real service whose command exits: exit 2 naming it with its output, nothing left."""
    env_file = write_env(
        """\
name: broken
service: orders
dependencies:
  inventory:
    stub: {shop}/pacts/orders-inventory.json
  db:
    postgres:
  payments:
    real:
      command: ["${python}", "-c", "import sys; print('cannot start, no config'); sys.exit(3)"]
      port: auto
"""
    )
    up = env_cli("up", str(env_file))
    assert 2 == up.returncode
    assert "environment broken did not come up: payments exited with code 3" in up.stderr
    assert "cannot start, no config" in up.stderr
    assert "Traceback" not in up.stderr
    assert not (tmp_path / "state" / "state.json").exists()
    started = state_json(tmp_path / "state" / "failed-start.json")
    assert ["otlp-collector", "stubs", "db", "payments"] == [p["name"] for p in started["pieces"]]
    assert [] == live_pieces(started)


def _payment_traces(data_dir: Path) -> list[object]:
    """The traces of `POST /payments` the environment's collector stored (waits for export)."""
    command = [sys.executable, "-m", "interlock", "traces", "search", "--service", "payments"]
    command += ["--operation", "POST /payments", "--format", "json", "--data-dir", str(data_dir)]
    found: list[object] = []
    deadline = time.monotonic() + 20
    while not found and time.monotonic() < deadline:
        done = subprocess.run(command, capture_output=True, text=True)
        found = json.loads(done.stdout) if done.returncode == 0 else []
    return found


SLOW_ENV = """\
name: slow
service: orders
dependencies:
  db:
    postgres:
  payments:
    real:
      command: ["${python}", "-c", "import time; print('warming up', flush=True); time.sleep(120)"]
      health: http://127.0.0.1:${port}/health
      port: auto
"""


@pytest.mark.server
@pytest.mark.postgres
def test_health_timeout_names_the_piece_and_cleans_up(
    write_env: WriteEnv, env_cli, state_json, live_pieces, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    up = env_cli("up", str(write_env(SLOW_ENV)), "--timeout", "2")
    assert 2 == up.returncode
    assert "payments did not answer http://127.0.0.1:" in up.stderr
    assert "/health within 2s" in up.stderr
    assert "warming up" in up.stderr
    assert [] == live_pieces(state_json(tmp_path / "state" / "failed-start.json"))


@pytest.mark.server
@pytest.mark.postgres
def test_interrupt_during_up_tears_down(
    write_env: WriteEnv, state_json, live_pieces, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-C (SIGINT) while a piece is still starting stops what already runs."""
    state_dir = tmp_path / "state"
    command = [sys.executable, "-m", "interlock", "env", "up", str(write_env(SLOW_ENV))]
    up = subprocess.Popen(
        [*command, "--state-dir", str(state_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    state_file = state_dir / "state.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "payments" not in (
        state_file.read_text() if state_file.exists() else ""
    ):
        time.sleep(0.1)
    up.send_signal(signal.SIGINT)
    _, err = up.communicate(timeout=60)
    assert 130 == up.returncode, err
    assert "interrupted: everything started was stopped" in err
    started = state_json(state_dir / "failed-start.json")
    assert ["otlp-collector", "db", "payments"] == [p["name"] for p in started["pieces"]]
    assert [] == live_pieces(started)
