"""The broker on the dashboard, in real headless Chromium: verification state on /contracts
and the pact page, matcher kinds and headers, a pacticipant's matrix, a can-i-deploy answer
with its reasons, webhook runs; each page's JSON twin."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from interlock.demo import find_shop
from interlock.demo.broker_chapter import tell_broker_chapter
from interlock.ports import free_port

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PAIRS = [("gateway", "inventory"), ("gateway", "orders"), ("orders", "inventory")]
STORY = {
    "contracts": [
        {"consumer": c, "provider": p, "ok": p != "payments", "skipped": ""}
        for c, p in [*PAIRS, ("orders", "payments")]
    ],
    "migrations": [{"proposal": "rename-price", "broken_services": ["orders"]}],
}


def _fill(server: str) -> None:
    """A webhook whose receiver is down, then the demo's broker chapter (payments fails)."""
    hook = {
        "description": "tell team-catalog",
        "events": [{"name": "contract_content_changed"}],
        "request": {"method": "POST", "url": f"http://127.0.0.1:{free_port()}/hook"},
    }
    assert 201 == httpx.post(f"{server}/broker/webhooks", json=hook).status_code
    tell_broker_chapter(f"{server}/broker", find_shop(), STORY, server)
    deadline = time.monotonic() + 10
    while not httpx.get(f"{server}/api/contracts/webhooks").json()["runs"]:
        assert time.monotonic() < deadline, "no webhook run logged"
        time.sleep(0.1)


@pytest.mark.browser
@pytest.mark.server
def test_broker_state_on_the_contract_pages(chromium_browser: Any, shop_server: str) -> None:
    """Verified, failed, deployed-in on /contracts; matchers and headers on the pact page;
    the matrix, the can-i-deploy "no" with its reason, and the webhook's failed run."""
    _fill(shop_server)
    ARTIFACTS.mkdir(exist_ok=True)
    page = chromium_browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(f"{shop_server}/contracts")
        rows = page.locator("tr.pact")
        states = {
            rows.nth(i).locator("td").nth(0).inner_text()
            + "→"
            + rows.nth(i).locator("td").nth(1).inner_text(): rows.nth(i)
            .locator("td.verification")
            .inner_text()
            for i in range(rows.count())
        }
        assert states["gateway→orders"].startswith("✓ verified by orders 1.0.0")
        assert states["orders→payments"].startswith("✗ failed by payments 1.0.0")
        deployed = page.locator("tr.pact", has_text="gateway").first.locator("td.deployed")
        assert "production" == deployed.inner_text().strip()
        page.screenshot(path=str(ARTIFACTS / "broker-contracts.png"), full_page=True)

        page.goto(f"{shop_server}/contracts/gateway/inventory")
        assert "✓ verified" in page.locator("section.pair-state").inner_text()
        assert "production" in page.locator("section.pair-state").inner_text()
        kinds = set(page.locator("span.matcher").all_inner_texts())
        assert {"integer", "type", r"regex [A-Z]+-\d{3}"} <= kinds
        assert "Content-Type: application/json" in page.locator("ul.headers").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "broker-pact.png"), full_page=True)

        page.goto(f"{shop_server}/contracts/matrix/inventory")
        assert page.locator("tr.matrix-row").count() >= 3
        page.locator("form.can-i-deploy input[name=version]").fill("1.1.0-rename-price")
        page.locator("form.can-i-deploy button").click()
        page.wait_for_selector("section.answer")
        answer = page.locator("section.answer").inner_text()
        assert "inventory 1.1.0-rename-price → production: no" in answer
        assert "failed" in answer
        assert 1 == page.locator("tr.matrix-row", has_text="✗ failed").count()
        page.screenshot(path=str(ARTIFACTS / "broker-can-i-deploy.png"), full_page=True)

        page.goto(f"{shop_server}/contracts/webhooks")
        assert "tell team-catalog" in page.locator("tr.webhook").inner_text()
        run = page.locator("tr.webhook-run").last
        assert "contract_content_changed" in run.inner_text()
        assert "ConnectError" in run.inner_text()
    finally:
        page.close()


def test_every_broker_page_has_its_json_twin(shop_server: str) -> None:
    """Each broker page links `/api` + its path, which answers the same data as JSON."""
    _fill(shop_server)
    query = "?pacticipant=inventory&environment=production&version=1.1.0-rename-price"
    for path in ("/contracts/matrix/inventory", "/contracts/can-i-deploy", "/contracts/webhooks",
                 "/contracts/audit"):  # fmt: skip
        page = httpx.get(shop_server + path + (query if "can-i" in path else ""))
        assert 200 == page.status_code, path
        assert f'href="/api{path}' in page.text, path
    answer = httpx.get(f"{shop_server}/api/contracts/can-i-deploy{query}").json()["answer"]
    assert False is answer["deployable"]
    writes = httpx.get(f"{shop_server}/api/contracts/audit").json()["writes"]
    assert {"POST /webhooks", "POST /contracts/publish"} <= {
        f"{w['method']} {w['path']}" for w in writes
    }
