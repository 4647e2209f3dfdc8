"""The incident page's evidence from a real span store: error-rate and p95 curves on the
timeline's axis, the map with the alerting services and the origin marked, the window RCA
with example traces, and the error log lines grouped by template."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from interlock.incidents import IncidentDesk, TimeAxis

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _faulty_billing(span_desk: IncidentDesk, traffic: Any) -> int:
    now = datetime.now(UTC).replace(microsecond=0)
    at = now.timestamp()
    traffic.calls("checkout", "billing-svc", at - 240, 50)
    failing = traffic.calls("checkout", "billing-svc", at - 60, 40, errors=20)
    for n, trace_id in enumerate(failing[:3]):
        traffic.logs("billing-svc", trace_id, at - 60, f"card {4000 + n} declined for order {n}")
    traffic.logs("billing-svc", failing[3], at - 59, "ledger timeout after 3000 ms")
    traffic.logs("checkout", failing[4], at - 59, "payment failed: upstream 502")
    results = span_desk.evaluate_rules(now)
    return results[0].incident_id or 0


def test_the_report_carries_curves_rca_and_log_templates(
    span_desk: IncidentDesk, traffic: Any
) -> None:
    """Curves of both involved services, the RCA ranking with example traces, and the
    billing errors grouped: three declines in one template, the timeout in another."""
    report = span_desk.report(_faulty_billing(span_desk, traffic))
    assert {"billing", "checkout"} == {c.service for c in report.curves}
    billing = next(c for c in report.curves if c.service == "billing")
    assert (90, 20) == (sum(p.calls for p in billing.points), sum(p.errors for p in billing.points))
    assert 0.5 <= max(p.error_rate for p in billing.points)
    assert 0.0 == billing.points[0].error_rate  # the calm minutes before the incident
    ranking = report.origin_check.ranking
    assert ranking and all(r["example_trace_ids"] for r in ranking[:1])
    groups = {(g.template, g.count) for g in report.log_groups}
    assert ("card <*> declined for order <*>", 3) in groups
    assert ("ledger timeout after <*> ms", 1) in groups
    assert ("payment failed upstream <*>", 1) in groups
    body = report.to_json()
    assert {"curves", "log_groups", "notifications"} <= body.keys()
    assert body["origin_check"]["window"]


def test_the_page_draws_curves_and_marks_the_map(span_desk: IncidentDesk, traffic: Any) -> None:
    """The timeline holds an error-rate and a p95 chart per service; the map marks the
    alerting services, the origin and the call between them."""
    page = span_desk.page(_faulty_billing(span_desk, traffic))
    assert 'data-metric="error rate"' in page.timeline_svg
    assert 'data-metric="p95"' in page.timeline_svg
    assert 'class="curve" data-service="billing"' in page.timeline_svg
    assert 'id="node-service-billing" class="node service alerting origin"' in page.map_svg
    assert 'id="node-service-checkout" class="node service alerting"' in page.map_svg
    assert 'id="node-service-search" class="node service"' in page.map_svg
    assert 'class="edge calls alerting failing"' in page.map_svg
    assert 'href="/services/billing"' in page.map_svg


def test_axis_ticks_of_a_one_second_incident_are_distinct() -> None:
    """A short incident gets sub-second steps, never `+1s +1s`."""
    labels = [label for _, label in TimeAxis(T0, T0 + timedelta(seconds=1)).ticks()]
    assert ["10:00:00", "+200ms", "+400ms", "+600ms", "+800ms", "+1000ms"] == labels
    assert len(labels) == len(set(labels))


def test_axis_ticks_of_longer_incidents_use_round_steps() -> None:
    """Eight minutes in 2-minute steps; four hours in hours."""
    eight = [label for _, label in TimeAxis(T0, T0 + timedelta(minutes=8)).ticks()]
    assert ["10:00:00", "+2m", "+4m", "+6m", "+8m"] == eight
    hours = [label for _, label in TimeAxis(T0, T0 + timedelta(hours=4)).ticks()]
    assert ["10:00:00", "+1h", "+2h", "+3h", "+4h"] == hours


def test_the_incident_page_shows_the_map_and_says_when_there_is_no_span_data(
    client: httpx.Client,
) -> None:
    """Over HTTP: the page has the marked map and says the curves and RCA have no data."""
    alerts = [
        {"name": "Errors", "service": "checkout", "fingerprint": "a"},
        {"name": "Errors", "service": "billing", "fingerprint": "b"},
    ]
    incident_id = client.post("/api/alerts", json=alerts).json()["alerts"][0]["incident_id"]
    page = client.get(f"/incidents/{incident_id}")
    assert 200 == page.status_code
    assert "node service alerting origin" in page.text
    assert "no error-rate or p95 curves" in page.text
    assert "no RCA ranking" in page.text
