"""The dashboard in real headless Chromium over the example shop's catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SHOP_SERVICES = {"gateway", "orders", "payments", "inventory"}


@pytest.mark.browser
@pytest.mark.server
def test_map_links_every_service_to_its_page(chromium_browser: Any, shop_server: str) -> None:
    """The map loads, each service node is a link, and clicking one opens its page."""
    ARTIFACTS.mkdir(exist_ok=True)
    page = chromium_browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(f"{shop_server}/map")
        page.wait_for_selector("figure.service-map svg")
        links = page.locator("figure.service-map svg a")
        hrefs = {links.nth(i).get_attribute("href") for i in range(links.count())}
        assert {f"/services/{name}" for name in SHOP_SERVICES} == hrefs
        page.screenshot(path=str(ARTIFACTS / "dashboard-map.png"), full_page=True)

        page.locator('figure.service-map svg a[href="/services/orders"]').click()
        page.wait_for_url(f"{shop_server}/services/orders")
        assert "orders" == page.locator("h1").inner_text()
        assert "team-orders" == page.locator("dd.owner").inner_text()
        page.screenshot(path=str(ARTIFACTS / "dashboard-service.png"), full_page=True)
    finally:
        page.close()


@pytest.mark.browser
@pytest.mark.server
def test_navigation_leads_to_every_capability(chromium_browser: Any, shop_server: str) -> None:
    """Every capability is built: the nav's Incidents entry opens the incident list."""
    page = chromium_browser.new_page()
    try:
        page.goto(f"{shop_server}/")
        assert 0 == page.locator("nav a.coming").count()
        page.locator('nav a[href="/incidents"]').click()
        page.wait_for_url(f"{shop_server}/incidents")
        assert "Incidents" == page.locator("h1").inner_text()
    finally:
        page.close()
