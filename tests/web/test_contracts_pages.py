"""The contract pages: every pact beside the catalog, one pair's interactions, on service pages."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


@pytest.fixture
def small_catalog() -> Path:
    """These tests read the example shop, with its pacts and database contract."""
    return SHOP


def test_every_shop_pact_is_listed(client: httpx.Client) -> None:
    data = client.get("/api/contracts").json()
    pairs = sorted((p["consumer"], p["provider"]) for p in data["pacts"])
    assert [
        ("gateway", "inventory"),
        ("gateway", "orders"),
        ("orders", "inventory"),
        ("orders", "payments"),
    ] == pairs
    assert [] == data["errors"]
    assert ["orders"] == [c["consumer"] for c in data["database_contracts"]]


def test_a_pair_page_shows_each_interaction_readably(client: httpx.Client) -> None:
    pact = json.loads((SHOP / "pacts" / "gateway-inventory.json").read_text())
    page = client.get("/contracts/gateway/inventory")
    assert 200 == page.status_code
    for interaction in pact["interactions"]:
        assert interaction["description"] in page.text
    assert "GET /products/1" in page.text


def test_the_service_page_links_its_contracts(client: httpx.Client) -> None:
    page = client.get("/services/orders").text
    assert 'href="/contracts/gateway/orders"' in page  # orders as provider
    assert 'href="/contracts/orders/payments"' in page  # orders as consumer
    assert "Database contract on <code>inventory</code>" in page


def test_an_unknown_pair_is_a_404(client: httpx.Client) -> None:
    assert 404 == client.get("/api/contracts/gateway/payments").status_code
