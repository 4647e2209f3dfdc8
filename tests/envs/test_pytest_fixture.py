"""The `interlock_env` fixture: a session's environment up before its tests, down after.

An inner pytest run loads the fixtures as a plugin, names the file in its ini, and records
what ran so that this test can check that nothing is left afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

WriteEnv = Callable[[str], Path]

INNER_TEST = """
import json, os
from pathlib import Path

import httpx
import psycopg


def test_environment_is_up(interlock_env) -> None:
    assert interlock_env.variables["INVENTORY_URL"] == os.environ["INVENTORY_URL"]
    answer = httpx.post(
        os.environ["INVENTORY_URL"] + "/products/2/reserve", json={"quantity": 3}
    )
    assert answer.status_code == 200
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        assert conn.execute("SELECT count(*) FROM products").fetchone() == (0,)
    Path("ran.json").write_text(json.dumps(interlock_env.state.to_json()))
"""


@pytest.mark.server
@pytest.mark.postgres
def test_fixture_brings_the_environment_up_and_down(
    write_env: WriteEnv, live_pieces, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    write_env(
        """\
name: fixture-test
service: orders
dependencies:
  inventory:
    stub: {shop}/pacts/orders-inventory.json
  inventory-db:
    postgres:
      migrations: {shop}/inventory/migrations
"""
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\ninterlock_env = interlock-env.yaml\n")
    (tmp_path / "test_inner.py").write_text(INNER_TEST)
    inner = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "interlock.envs.pytest_fixtures",
            "-p",
            "no:cacheprovider",
            "-q",
            "test_inner.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert 0 == inner.returncode, inner.stdout + inner.stderr
    ran = json.loads((tmp_path / "ran.json").read_text())
    assert ["otlp-collector", "stubs", "inventory-db"] == [p["name"] for p in ran["pieces"]]
    assert [] == live_pieces(ran)
