"""WireMock stub mappings served as they are: request patterns, responses, priority, scenarios."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from interlock.stubs import StubServer

pytestmark = pytest.mark.server

MAPPINGS: dict[str, Any] = {
    "mappings": [
        {
            "name": "one item",
            "request": {"method": "GET", "urlPath": "/items/1"},
            "response": {"status": 200, "jsonBody": {"id": 1}, "headers": {"X-Source": "wm"}},
        },
        {
            "name": "any item",
            "priority": 9,
            "request": {"method": "GET", "urlPathPattern": "/items/[0-9]+"},
            "response": {"status": 200, "body": "generic"},
        },
        {
            "name": "search",
            "request": {
                "method": "GET",
                "urlPath": "/search",
                "queryParameters": {"q": {"contains": "boo"}, "page": {"matches": "[0-9]+"}},
                "headers": {"Accept": {"equalTo": "application/json"}},
            },
            "response": {"status": 200, "jsonBody": ["book"]},
        },
        {
            "name": "create",
            "request": {
                "method": "POST",
                "url": "/items",
                "bodyPatterns": [{"equalToJson": {"name": "pen"}, "ignoreExtraElements": True}],
            },
            "response": {"status": 201, "fixedDelayMilliseconds": 50},
        },
        {
            "scenarioName": "cart",
            "requiredScenarioState": "Started",
            "newScenarioState": "has item",
            "request": {"method": "POST", "url": "/cart", "bodyPatterns": [{"contains": "pen"}]},
            "response": {"status": 201},
        },
        {
            "scenarioName": "cart",
            "requiredScenarioState": "Started",
            "request": {"method": "GET", "url": "/cart"},
            "response": {"status": 200, "jsonBody": []},
        },
        {
            "scenarioName": "cart",
            "requiredScenarioState": "has item",
            "request": {"method": "GET", "url": "/cart"},
            "response": {"status": 200, "jsonBody": ["pen"]},
        },
    ]
}


@pytest.fixture
def shop(stub_serve: Callable[..., StubServer], stub_files: Callable[[str, object], str]) -> str:
    return stub_serve("shop=" + stub_files("mappings.json", MAPPINGS)).app.urls["shop"]


def test_wiremock_url_path_and_json_body(shop: str) -> None:
    response = httpx.get(f"{shop}/items/1")
    assert {"id": 1} == response.json()
    assert "wm" == response.headers["x-source"]


def test_wiremock_priority_and_path_pattern(shop: str) -> None:
    """Lower priority numbers win; the pattern answers the other ids."""
    assert "generic" == httpx.get(f"{shop}/items/77").text


def test_wiremock_query_and_header_patterns(shop: str) -> None:
    ok = httpx.get(f"{shop}/search?q=ebook&page=2", headers={"Accept": "application/json"})
    assert ["book"] == ok.json()
    missing = httpx.get(f"{shop}/search?q=ebook&page=x", headers={"Accept": "application/json"})
    assert 404 == missing.status_code
    assert (
        "query page: expected matches '[0-9]+', found 'x'"
        in missing.json()["closest"][0]["mismatches"]
    )


def test_wiremock_equal_to_json_ignoring_extra_elements(shop: str) -> None:
    assert 201 == httpx.post(f"{shop}/items", json={"name": "pen", "colour": "red"}).status_code
    assert 404 == httpx.post(f"{shop}/items", json={"name": "ink"}).status_code


def test_wiremock_scenario_moves_from_state_to_state(shop: str) -> None:
    assert [] == httpx.get(f"{shop}/cart").json()
    assert 201 == httpx.post(f"{shop}/cart", content=b"a pen").status_code
    assert ["pen"] == httpx.get(f"{shop}/cart").json()
    httpx.post(f"{shop}/__admin/reset")
    assert [] == httpx.get(f"{shop}/cart").json()


def test_wiremock_scenario_state_set_through_the_admin_api(shop: str) -> None:
    put = httpx.put(f"{shop}/__admin/services/shop/scenarios/cart", json={"state": "has item"})
    assert 200 == put.status_code
    assert ["pen"] == httpx.get(f"{shop}/cart").json()


def test_wiremock_single_mapping_file_names_its_service_after_the_file(
    stub_serve: Callable[..., StubServer], stub_files: Callable[[str, object], str]
) -> None:
    path = stub_files("inventory/mappings/stock.json", MAPPINGS["mappings"][0])
    server = stub_serve(path)
    assert ["inventory"] == list(server.app.urls)
