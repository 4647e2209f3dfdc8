"""The built-in retry and circuit-breaker experiments on a purpose-built caller: a retry storm
and a missing breaker are found from the caller's traces; correct ones pass."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from interlock.chaos import CallExpectation, dead_dependency_experiment, retry_budget_experiment
from interlock.chaos.pytest_fixtures import ChaosFixture
from interlock.stubs import StubServer

from .conftest import Collector, GatewayFactory

CONFIG = """\
apiVersion: interlock/v1
kind: Config
resilience:
  gateway:
    calls:
      orders: {timeout: 300ms, retries: 1, circuitBreaker: true}
"""


def _verify(
    tmp_path: Path, gateway: str, stub: StubServer, collector: Collector, experiment: str
) -> dict[str, Any]:
    config = tmp_path / "interlock.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    argv = [
        sys.executable, "-m", "interlock", "chaos", "verify", "--service", "gateway",
        "--config", str(config), "--caller-url", f"{gateway}/checkout", "--experiment", experiment,
        "--stub-admin", stub.admin_url or "", "--data-dir", str(collector.data_dir), "-f", "json",
    ]  # fmt: skip
    done = subprocess.run(
        argv, capture_output=True, text=True, cwd=tmp_path, timeout=240, check=False
    )
    assert done.returncode in (0, 1), done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    report["exit_code"] = done.returncode
    return report


def test_built_in_experiments_are_valid_chaos_toolkit() -> None:
    """Chaos Toolkit's own validation accepts the retry and breaker experiments."""
    from chaoslib.experiment import ensure_experiment_is_valid

    expectation = CallExpectation("gateway", "orders", 300.0, 1, True)
    retry = retry_budget_experiment(expectation, "http://x/checkout")
    ensure_experiment_is_valid(retry)
    ensure_experiment_is_valid(dead_dependency_experiment(expectation, "http://x/checkout"))
    assert [1, 2] == retry["steady-state-hypothesis"]["probes"][0]["tolerance"]["range"]


@pytest.mark.server
def test_retry_storm_is_found(
    tmp_path: Path, start_gateway: GatewayFactory, orders_stub: StubServer, collector: Collector
) -> None:
    """A caller that tries a failing orders 6 times per request, against 1 declared retry:
    exit 1, the traces show 6 calls per request."""
    report = _verify(tmp_path, start_gateway(0.3, retries=5), orders_stub, collector, "retries")
    verdict = report["verdicts"][0]
    assert (1, False) == (report["exit_code"], verdict["passed"])
    assert (1, 6) == (verdict["evidence"]["attempts_before"], verdict["evidence"]["attempts_after"])
    assert "a retry storm multiplies its load" in verdict["message"]


@pytest.mark.server
def test_retries_within_budget_pass(
    tmp_path: Path, start_gateway: GatewayFactory, orders_stub: StubServer, collector: Collector
) -> None:
    """A caller that retries once, as declared: at most 2 calls per request, exit 0."""
    report = _verify(tmp_path, start_gateway(0.3, retries=1), orders_stub, collector, "retries")
    verdict = report["verdicts"][0]
    assert (0, True) == (report["exit_code"], verdict["passed"]), verdict["message"]
    assert 2 == verdict["evidence"]["attempts_after"]


@pytest.mark.server
def test_missing_breaker_is_found(
    tmp_path: Path, start_gateway: GatewayFactory, orders_stub: StubServer, collector: Collector
) -> None:
    """A caller without a breaker keeps calling a dead orders on every request: exit 1."""
    report = _verify(tmp_path, start_gateway(0.3), orders_stub, collector, "breaker")
    verdict = report["verdicts"][0]
    assert (1, False) == (report["exit_code"], verdict["passed"])
    assert 1.0 == verdict["evidence"]["reaching_callee"]
    assert "the circuit breaker is missing or never opens" in verdict["message"]


@pytest.mark.server
def test_breaker_that_opens_and_closes_passes(
    tmp_path: Path, start_gateway: GatewayFactory, orders_stub: StubServer, collector: Collector
) -> None:
    """A breaker opening after 3 failures and trying again after 1 s: few requests reach the
    dead orders, and the caller answers again soon after orders returns."""
    gateway = start_gateway(0.3, breaker="3,1")
    report = _verify(tmp_path, gateway, orders_stub, collector, "breaker")
    verdict = report["verdicts"][0]
    assert (0, True) == (report["exit_code"], verdict["passed"]), verdict["message"]
    assert verdict["evidence"]["reaching_callee"] <= 0.25
    assert verdict["evidence"]["recovered_after_s"] <= 2.0


@pytest.mark.server
def test_interlock_chaos_fixture_fails_a_test_on_a_missing_breaker(
    tmp_path: Path,
    start_gateway: GatewayFactory,
    orders_stub: StubServer,
    collector: Collector,
    interlock_chaos: ChaosFixture,
) -> None:
    """`interlock_chaos.verify` fails the calling test with the verdict; `check=False` returns it."""
    config = tmp_path / "interlock.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    gateway = start_gateway(0.3)
    arguments: dict[str, Any] = {
        "caller_url": f"{gateway}/checkout",
        "stub_admin": orders_stub.admin_url or "",
        "data_dir": collector.data_dir,
        "experiments": ["breaker"],
    }
    with pytest.raises(pytest.fail.Exception, match="circuit breaker is missing"):
        interlock_chaos.verify(config, "gateway", **arguments)
    verdicts = interlock_chaos.verify(config, "gateway", check=False, **arguments)
    assert [False] == [v.passed for v in verdicts]
