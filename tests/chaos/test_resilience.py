"""Declared timeouts (interlock.yaml) verified by the built-in slow-dependency experiment,
backed by the caller's traces: a missing timeout is found, a correct one passes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from interlock.chaos import CallExpectation, load_expectations, slow_dependency_experiment
from interlock.errors import SourceError
from interlock.stubs import StubServer

from .conftest import Collector, GatewayFactory

CONFIG = """\
apiVersion: interlock/v1
kind: Service
name: gateway
calls: [orders]
---
apiVersion: interlock/v1
kind: Config
resilience:
  gateway:
    calls:
      orders: {timeout: 500ms, retries: 1, circuitBreaker: true}
"""


def _config(tmp_path: Path, text: str = CONFIG) -> Path:
    path = tmp_path / "interlock.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _verify(
    tmp_path: Path, gateway: str, stub: StubServer, collector: Collector
) -> subprocess.CompletedProcess[str]:
    argv = [
        sys.executable, "-m", "interlock", "chaos", "verify", "--service", "gateway",
        "--config", str(_config(tmp_path)), "--caller-url", f"{gateway}/checkout",
        "--stub-admin", stub.admin_url or "", "--data-dir", str(collector.data_dir), "-f", "json",
        "--experiment", "timeout",
    ]  # fmt: skip
    return subprocess.run(
        argv, capture_output=True, text=True, cwd=tmp_path, timeout=180, check=False
    )


def test_expectations_are_read_from_the_config_document(tmp_path: Path) -> None:
    """Per call: the timeout in ms, the retries and the circuit breaker."""
    assert [CallExpectation("gateway", "orders", 500.0, 1, True)] == load_expectations(
        _config(tmp_path)
    )


def test_a_bad_expectation_names_the_file_and_the_place(tmp_path: Path) -> None:
    """An unknown key is an error at its JSON path in the file."""
    path = _config(tmp_path, CONFIG.replace("retries: 1", "retry: 1"))
    with pytest.raises(SourceError) as raised:
        load_expectations(path)
    assert "$[1].resilience.gateway.calls.orders.retry: unknown key" in str(raised.value)


def test_the_built_in_experiment_is_valid_chaos_toolkit() -> None:
    """Chaos Toolkit's own validation accepts the generated experiment."""
    from chaoslib.experiment import ensure_experiment_is_valid

    experiment = slow_dependency_experiment(
        CallExpectation("gateway", "orders", 500.0), "http://x/checkout"
    )
    ensure_experiment_is_valid(experiment)
    assert [0, 650.0] == experiment["steady-state-hypothesis"]["probes"][0]["tolerance"]["range"]


@pytest.mark.server
def test_missing_timeout_is_found(
    tmp_path: Path, start_gateway: GatewayFactory, orders_stub: StubServer, collector: Collector
) -> None:
    """A gateway that waits on orders for ever: exit 1, and the verdict names the wait its
    client spans show against the declared 500 ms."""
    done = _verify(tmp_path, start_gateway(None), orders_stub, collector)
    assert 1 == done.returncode, done.stderr
    verdict = json.loads(done.stdout)["verdicts"][0]
    assert not verdict["passed"]
    assert verdict["wait_after_ms"] is not None, done.stdout + done.stderr[-3000:]
    assert verdict["wait_after_ms"] >= 1450
    assert "the timeout is missing or not applied" in verdict["message"]


@pytest.mark.server
def test_declared_timeout_that_is_applied_passes(
    tmp_path: Path, start_gateway: GatewayFactory, orders_stub: StubServer, collector: Collector
) -> None:
    """A gateway with its 500 ms timeout gives up in time: exit 0."""
    done = _verify(tmp_path, start_gateway(0.5), orders_stub, collector)
    assert 0 == done.returncode, done.stdout + done.stderr
    verdict = json.loads(done.stdout)["verdicts"][0]
    assert verdict["passed"]
    assert 450 <= verdict["wait_after_ms"] <= 650
