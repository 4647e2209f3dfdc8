"""The load engine (Locust in a child process) against real servers: rate, data, latency."""

from __future__ import annotations

import pytest

from interlock.perf import LoadOptions, Stage, TrafficPlan, plan_from_pacts, run_load
from interlock.perf.traffic import Flow, RequestVariant, Step
from interlock.stubs import StubServer

from .conftest import SHOP_PACTS

pytestmark = pytest.mark.server


def test_open_model_sends_the_scheduled_arrivals_from_the_pacts(orders_stub: StubServer) -> None:
    """40 arrivals/s for 3 s is 120 requests, each an interaction of the pacts, answered as they say."""
    plan = plan_from_pacts([SHOP_PACTS], "orders", (Stage(3.0, 40.0),))
    run = run_load(plan, LoadOptions(orders_stub.endpoints()[0].url, service="orders", commit="c1"))
    assert 120 == run.requests
    assert 40.0 == run.achieved_rate
    assert 0 == run.overall().errors
    assert set(plan.operations) >= set(run.operations)
    assert {"201", "409"} >= set(run.operations["POST /orders"].statuses)
    assert ("orders", "c1") == (run.service, run.commit)
    assert 3 <= len(run.timeline)


def test_latency_counts_from_the_intended_send_time(stalling_target: str) -> None:
    """A one-second stall holds back the requests due during it: their wait is measured
    (p95 near the stall), though each one's own service time stays short."""
    step = Step("GET /ping", (RequestVariant("GET", "/ping"),))
    plan = TrafficPlan((Flow("ping", (step,)),), (Stage(3.0, 20.0),))
    run = run_load(plan, LoadOptions(stalling_target, users=1))
    ping = run.operations["GET /ping"]
    assert 60 == ping.requests
    assert ping.histogram.quantile_ms(0.95) >= 500
    assert ping.service.quantile_ms(0.95) < 100
    assert ping.histogram.max_ms() >= 900
