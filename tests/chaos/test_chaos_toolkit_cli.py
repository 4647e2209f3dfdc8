"""The real `chaos run` CLI (chaostoolkit) runs an experiment made of Interlock's actions and
probes: a slow stub, the caller's waits read from the span store, the stub healed afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from interlock.stubs import StubServer, list_faults

from .conftest import HERE, Collector, GatewayFactory

pytestmark = pytest.mark.server

CHAOS = Path(sys.executable).parent / "chaos"
EXPERIMENT = HERE / "experiments" / "slow-orders.json"


def _chaos_run(
    tmp_path: Path, gateway: str, stub: StubServer, collector: Collector
) -> tuple[int, dict[str, Any]]:
    journal = tmp_path / "journal.json"
    variables = {
        "gateway_url": gateway,
        "interlock_stub_admin": stub.admin_url,
        "interlock_data_dir": str(collector.data_dir),
    }
    argv = [str(CHAOS), "run", str(EXPERIMENT), "--journal-path", str(journal)]
    for key, value in variables.items():
        argv += ["--var", f"{key}={value}"]
    done = subprocess.run(
        argv, cwd=tmp_path, capture_output=True, text=True, timeout=180, check=False
    )
    return done.returncode, json.loads(journal.read_text(encoding="utf-8"))


def _waits(journal: dict[str, Any]) -> tuple[float, float]:
    before = journal["steady_states"]["before"]["probes"][0]["output"]
    after = journal["steady_states"]["after"]["probes"][0]["output"]
    return before, after


def test_caller_with_a_timeout_passes_the_experiment(
    tmp_path: Path, start_gateway: GatewayFactory, orders_stub: StubServer, collector: Collector
) -> None:
    """A gateway with a 0.5 s timeout keeps its waits under 800 ms: completed, not deviated,
    and the rollback removed the fault."""
    code, journal = _chaos_run(tmp_path, start_gateway(0.5), orders_stub, collector)
    assert 0 == code, json.dumps(journal.get("run"), indent=1)[:2000]
    assert ("completed", False) == (journal["status"], journal["deviated"])
    before, after = _waits(journal)
    assert before < 800
    assert 450 <= after < 800
    assert [] == list_faults(orders_stub.admin_url or "", "orders")
    assert "succeeded" == journal["rollbacks"][0]["status"]


def test_caller_without_a_timeout_deviates(
    tmp_path: Path, start_gateway: GatewayFactory, orders_stub: StubServer, collector: Collector
) -> None:
    """A gateway with no timeout waits the full 1.5 s: the hypothesis fails after the fault
    (deviated, exit 1), and the journal holds the wait that proves it."""
    code, journal = _chaos_run(tmp_path, start_gateway(None), orders_stub, collector)
    assert 1 == code
    assert journal["deviated"]
    before, after = _waits(journal)
    assert before < 800
    assert after >= 1450
