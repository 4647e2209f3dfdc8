"""The incident pages in real headless Chromium over a real server: list, one incident with
its timeline, reasons and changes, links to every name, and the postmortem button."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _incident(server: str) -> int:
    with httpx.Client(base_url=server) as http:
        change = {"service": "billing", "kind": "deploy", "version": "3.1", "summary": "faulty"}
        assert 201 == http.post("/api/changes", json=change).status_code
        alerts = [
            {
                "name": "HighErrorRate",
                "service": "billing",
                "severity": "critical",
                "labels": {"trace_id": "ab" * 16},
            },
            {"name": "HighErrorRate", "labels": {"job": "checkout"}, "severity": "error"},
            {"name": "SlowPages", "labels": {"app": "web"}},
        ]
        results = http.post("/api/alerts", json=alerts).json()["alerts"]
        return int(results[0]["incident_id"])


@pytest.mark.browser
@pytest.mark.server
def test_incident_pages_show_the_incident_and_link_every_name(
    chromium_browser: Any, live_server: str
) -> None:
    """From the nav to the list to the incident; names link to their pages; copy works."""
    ARTIFACTS.mkdir(exist_ok=True)
    incident_id = _incident(live_server)
    page = chromium_browser.new_page(viewport={"width": 1300, "height": 1000})
    try:
        page.goto(f"{live_server}/")
        page.locator('nav a[href="/incidents"]').click()
        page.wait_for_url(f"{live_server}/incidents")
        row = page.locator("tr.incident-row")
        assert 1 == row.count()
        assert "billing" == row.locator("a.origin").inner_text()
        assert page.locator('a[href="/api/incidents"]').count() == 1
        row.locator(f'a[href="/incidents/{incident_id}"]').first.click()
        page.wait_for_url(f"{live_server}/incidents/{incident_id}")
        assert 3 == page.locator("svg.incident-timeline rect.alert-bar").count()
        assert 1 == page.locator("svg.incident-timeline path.change-mark").count()
        reasons = page.locator("td.join-reason").all_inner_texts()
        assert "first alert of this incident" == reasons[0]
        assert reasons[1].startswith("calls billing")
        hrefs = {a.get_attribute("href") for a in page.locator("main a").all()}
        assert {"/services/billing", "/services/checkout", "/services/web"} <= hrefs
        assert f"/traces/{'ab' * 16}" in hrefs
        assert f"/api/incidents/{incident_id}" in hrefs
        assert "team-pay" in page.locator("dd.owners").inner_text()
        page.locator("#copy-postmortem").click()
        page.wait_for_function("document.body.dataset.postmortem !== undefined")
        markdown = page.evaluate("document.body.dataset.postmortem")
        assert markdown.startswith(f"# Postmortem: incident {incident_id}")
        assert "deploy of billing 3.1 faulty" in markdown
        page.screenshot(path=str(ARTIFACTS / "incident.png"), full_page=True)
    finally:
        page.close()
