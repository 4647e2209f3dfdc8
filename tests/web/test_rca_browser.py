"""The root-cause page in real headless Chromium: a slow service with a new error log template
and a saturated CPU is ranked first, and its links lead to its log templates and resources."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MS = 1_000_000
MINUTE = 60_000 * MS


def _attributes(values: dict[str, str]) -> list[dict[str, Any]]:
    return [{"key": k, "value": {"stringValue": v}} for k, v in values.items()]


def _resource(service: str) -> dict[str, Any]:
    return {"attributes": _attributes({"service.name": service})}


def _checkout(rng: random.Random, start: int, charge_ms: float) -> dict[str, list[Any]]:
    """gateway -> orders -> payments, one trace starting at `start`, per service."""
    trace = f"{rng.getrandbits(128):032x}"
    ids = [f"{rng.getrandbits(64):016x}" for _ in range(5)]
    total = charge_ms + 6

    def span(i: int, parent: int | None, name: str, kind: int, begin: float, end: float) -> Any:
        return {
            "traceId": trace, "spanId": ids[i], "parentSpanId": ids[parent] if parent is not None else "",
            "name": name, "kind": kind, "startTimeUnixNano": str(start + int(begin * MS)),
            "endTimeUnixNano": str(start + int(end * MS)),
            "attributes": _attributes({"http.route": name.split(" ")[-1]} if kind == 2 else {}),
        }  # fmt: skip

    return {
        "gateway": [
            span(0, None, "POST /checkout", 2, 0, total),
            span(1, 0, "POST /orders", 3, 1, total - 1),
        ],
        "orders": [
            span(2, 1, "POST /orders", 2, 1.5, total - 1.5),
            span(3, 2, "POST /payments", 3, 2, total - 2),
        ],
        "payments": [span(4, 3, "POST /payments", 2, 2.5, total - 2.5)],
    }


def _send_story(server: str) -> None:
    """Calm traffic 30 to 15 minutes ago; then payments 20x slower, logging a new error and
    with its CPU saturated."""
    rng = random.Random(14)
    now = time.time_ns()
    spans: dict[str, list[Any]] = {}
    logs: list[dict[str, Any]] = []
    cpu: list[dict[str, Any]] = []
    for i in range(120):
        slow = i >= 60
        start = now - (14 if slow else 29) * MINUTE + (i % 60) * 13_000 * MS
        charge = rng.uniform(8, 12) * (20 if slow else 1)
        for service, found in _checkout(rng, start, charge).items():
            spans.setdefault(service, []).extend(found)
        text = f"charge {i} timed out talking to the bank" if slow else f"charge {i} accepted"
        logs.append(
            {"timeUnixNano": str(start + 3 * MS), "severityNumber": 17 if slow else 9,
             "body": {"stringValue": text}}
        )  # fmt: skip
        cpu.append({"timeUnixNano": str(start), "asDouble": 0.97 if slow else 0.2 + i % 3 / 100})
    metric = {"name": "process.cpu.utilization", "unit": "1", "gauge": {"dataPoints": cpu}}
    with httpx.Client(base_url=server, timeout=20) as http:
        traces = {
            "resourceSpans": [
                {"resource": _resource(s), "scopeSpans": [{"spans": found}]}
                for s, found in spans.items()
            ]
        }
        assert 200 == http.post("/v1/traces", json=traces).status_code
        resource = _resource("payments")
        body = {"resourceLogs": [{"resource": resource, "scopeLogs": [{"logRecords": logs}]}]}
        assert 200 == http.post("/v1/logs", json=body).status_code
        body = {
            "resourceMetrics": [{"resource": resource, "scopeMetrics": [{"metrics": [metric]}]}]
        }
        assert 200 == http.post("/v1/metrics", json=body).status_code
        deadline = time.monotonic() + 20  # the store writes off the request path
        while time.monotonic() < deadline:
            found = http.get("/api/traces", params={"service": "payments", "since": "1h"})
            if len(found.json()["traces"]) >= 50:
                return
            time.sleep(0.2)
    raise AssertionError("the traces did not arrive")


@pytest.mark.browser
@pytest.mark.server
def test_the_rca_page_ranks_the_slow_service_and_links_its_evidence(
    chromium_browser: Any, shop_server: str
) -> None:
    """payments first with its reasons; its log templates show the new error, its RED page
    the saturated CPU; each suspect has its own example trace."""
    _send_story(shop_server)
    ARTIFACTS.mkdir(exist_ok=True)
    page = chromium_browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{shop_server}/rca?since=15m")
        rows = page.locator("table.rca-ranking tbody tr.suspect")
        first = rows.first
        assert "payments" == first.get_attribute("data-suspect")
        why = first.locator("ul.reasons").inner_text()
        assert "self time of POST /payments" in why
        assert "process.cpu.utilization 0.97" in why
        examples = [
            rows.nth(i).locator("a.example").get_attribute("href") for i in range(rows.count())
        ]
        assert len(set(examples)) == len(examples)  # a different example trace per suspect
        assert page.locator("p.score-help").is_visible()
        assert 0 == page.locator("p.rca-advice").count()  # the baseline holds traffic
        page.screenshot(path=str(ARTIFACTS / "rca-ranking.png"), full_page=True)

        first.locator("a.logs-link").click()
        page.wait_for_url("**/services/payments/logs?**")
        template = page.locator("table.log-templates tr.template").first
        assert "charge <*> timed out talking to the bank" in template.inner_text()
        assert "new" in template.inner_text()
        page.screenshot(path=str(ARTIFACTS / "rca-log-templates.png"), full_page=True)

        page.goto(f"{shop_server}/rca?since=15m")
        page.locator("table.rca-ranking tr.suspect").first.locator("a.red-link").click()
        page.wait_for_url(f"{shop_server}/services/payments/red")
        cpu = page.locator(".resource-charts svg.chart")
        assert 1 == cpu.count()
        assert cpu.first.bounding_box()["width"] > 0  # type: ignore[index]
        page.screenshot(path=str(ARTIFACTS / "rca-red-resources.png"), full_page=True)

        page.goto(f"{shop_server}/rca?since=15m")
        page.locator("table.rca-ranking tr.suspect").first.locator("a.traces-link").click()
        page.wait_for_url("**/traces?service=payments**")
        assert page.locator("svg.scatter a.dot").count() >= 10
    finally:
        page.close()
