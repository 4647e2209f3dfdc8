"""Chapter 8 of the demo on the running shop: orders load-tested alone against its baseline
(a slower payments found), and the chaos experiment that finds gateway's missing timeout."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from interlock.chaos import CallExpectation, load_expectations
from interlock.demo import DemoRun, find_shop, start_demo
from interlock.demo.resilience_chapter import ChapterTimings, tell_resilience_chapter
from interlock.demo.traffic import restock
from interlock.ports import free_port
from interlock.processes import ProcessSet

pytestmark = pytest.mark.server

QUICK = ChapterTimings(rate=10.0, duration_s=2.0, repeat=2, warm_up_s=0.5, payments_delay_ms=80)


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[DemoRun]:
    """The demo's server and the four shop services, stocked; stopped afterwards."""
    with ProcessSet() as processes:
        run = start_demo(processes, tmp_path / "data", free_port())
        restock(run.url("inventory"))
        yield run


def test_the_shop_declares_a_timeout_gateway_does_not_apply() -> None:
    """gateway/interlock.yaml promises a 1 s timeout on orders (the experiment's yardstick)."""
    declared = load_expectations(find_shop() / "gateway" / "interlock.yaml")
    assert CallExpectation("gateway", "orders", 1000.0) in declared


def test_chapter_finds_the_slower_payments_and_the_missing_timeout(shop: DemoRun) -> None:
    """The load test stores runs per version and `perf check` names POST /orders slower with
    payments slowed, and orders' calls to payments as why (its traces' span profiles); the
    experiment sees gateway wait out a 3 s orders against its 1 s timeout."""
    chapter, lines = tell_resilience_chapter(shop, threading.Event(), QUICK)

    perf = chapter.perf
    assert "error" not in perf, perf
    assert [2, 2, 2] == [len(ids) for ids in perf["runs"].values()]
    slower = [c for c in perf["slower_payments"]["changes"] if c["regression"]]
    assert "POST /orders" in {c["operation"] for c in slower}, perf["slower_payments"]
    grown = perf["slower_payments"]["spans"][0]
    assert grown["span"].startswith("orders → payments"), perf["slower_payments"]["spans"]
    assert grown["example_traces"]
    stored = httpx.get(f"{shop.dashboard_url}/api/perf", params={"service": "orders"}).json()
    assert 6 <= len(stored["runs"])

    chaos = chapter.chaos
    assert not chaos["passed"]
    assert chaos["wait_after_ms"] >= 2900
    assert "the timeout is missing or not applied" in chaos["message"]
    journals = httpx.get(f"{shop.dashboard_url}/api/chaos").json()
    assert [False] == [j["passed"] for j in journals]
    assert "docs/chaos.md" in lines[-1]
    assert f"{shop.dashboard_url}/perf?service=orders" in lines[0]
