"""The `interlock_perf` pytest fixture: a load test in a test, its thresholds the assertion."""

from __future__ import annotations

import pytest

from interlock.perf.pytest_fixtures import PerfRunner
from interlock.stubs import StubServer

from .conftest import SHOP_PACTS

pytestmark = pytest.mark.server


def test_thresholds_that_hold_return_the_report(
    interlock_perf: PerfRunner, orders_stub: StubServer
) -> None:
    """Traffic from the pacts reaches the stub; the report is returned for more assertions."""
    report = interlock_perf(
        target=orders_stub.endpoints()[0].url,
        pacts=[SHOP_PACTS],
        service="orders",
        rate=20,
        duration="1s",
        thresholds=["error_rate<5%"],
    )
    assert report.passed
    assert 20 == report.combined.requests


def test_a_violated_threshold_fails_the_test(
    interlock_perf: PerfRunner, orders_stub: StubServer
) -> None:
    """A threshold that cannot hold fails the calling test, naming the threshold."""
    with pytest.raises(pytest.fail.Exception, match=r"p50<0\.001ms"):
        interlock_perf(
            target=orders_stub.endpoints()[0].url,
            pacts=[SHOP_PACTS],
            service="orders",
            rate=10,
            duration="1s",
            thresholds=["p50<0.001ms"],
        )
