"""Stubs served from Pact files: the provider side, generators, provider states, near misses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from interlock.stubs import StubServer

pytestmark = pytest.mark.server

ORDERS_PACT: dict[str, Any] = {
    "consumer": {"name": "web"},
    "provider": {"name": "orders"},
    "metadata": {"pactSpecification": {"version": "4.0"}},
    "interactions": [
        {
            "type": "Synchronous/HTTP",
            "description": "get order 1",
            "providerStates": [{"name": "order 1 exists"}],
            "request": {"method": "GET", "path": "/orders/1"},
            "response": {
                "status": 200,
                "headers": {"Content-Type": ["application/json"]},
                "body": {
                    "content": {"id": 1, "total": 9.5, "code": "AB12"},
                    "contentType": "application/json",
                },
                "generators": {"body": {"$.code": {"type": "Regex", "regex": "[A-Z]{2}[0-9]{2}"}}},
            },
        },
        {
            "type": "Synchronous/HTTP",
            "description": "get order 1 when there is none",
            "providerStates": [{"name": "no orders"}],
            "request": {"method": "GET", "path": "/orders/1"},
            "response": {"status": 404},
        },
        {
            "type": "Synchronous/HTTP",
            "description": "create an order",
            "interlockNextState": "order 1 exists",
            "request": {
                "method": "POST",
                "path": "/orders",
                "headers": {"Content-Type": "application/json"},
                "body": {"content": {"item": "book"}, "contentType": "application/json"},
                "matchingRules": {"body": {"$.item": {"matchers": [{"match": "type"}]}}},
            },
            "response": {
                "status": 201,
                "body": {"content": {"id": 1}, "contentType": "application/json"},
            },
        },
        {
            "type": "Synchronous/HTTP",
            "description": "list orders of a customer",
            "request": {
                "method": "GET",
                "path": "/orders",
                "query": {"customer": ["7"]},
            },
            "response": {"status": 200, "body": {"content": [{"id": 1}]}},
        },
        {
            "type": "Synchronous/HTTP",
            "description": "list orders",
            "request": {"method": "GET", "path": "/orders"},
            "response": {"status": 200, "body": {"content": []}},
        },
    ],
}


@pytest.fixture
def orders(stub_serve: Callable[..., StubServer], stub_files: Callable[[str, object], str]) -> str:
    """The orders stub's base URL."""
    server = stub_serve(stub_files("web-orders.json", ORDERS_PACT))
    return server.app.urls["orders"]


def test_pact_stub_answers_with_the_provider_side(orders: str) -> None:
    response = httpx.get(f"{orders}/orders/1", headers={"X-Interlock-State": "order 1 exists"})
    assert 200 == response.status_code
    assert "application/json" == response.headers["content-type"]
    assert 1 == response.json()["id"]


def test_pact_stub_applies_generators(orders: str) -> None:
    """The Regex generator replaces the example code with a fresh value of the same shape."""
    body = httpx.get(f"{orders}/orders/1").json()
    assert 4 == len(body["code"])
    assert body["code"][:2].isupper() and body["code"][2:].isdigit()


def test_pact_stub_picks_the_provider_state_from_the_header(orders: str) -> None:
    response = httpx.get(f"{orders}/orders/1", headers={"X-Interlock-State": "no orders"})
    assert 404 == response.status_code


def test_pact_stub_picks_the_provider_state_from_the_admin_api(orders: str) -> None:
    put = httpx.put(f"{orders}/__admin/services/orders/state", json={"state": "no orders"})
    assert 200 == put.status_code
    assert 404 == httpx.get(f"{orders}/orders/1").status_code


def test_pact_stub_moves_to_the_next_state_after_create(orders: str) -> None:
    """Create then get: the create interaction moves the stub to `order 1 exists`."""
    httpx.put(f"{orders}/__admin/services/orders/state", json={"state": "no orders"})
    assert 404 == httpx.get(f"{orders}/orders/1").status_code
    created = httpx.post(f"{orders}/orders", json={"item": "pen"})
    assert 201 == created.status_code
    assert 200 == httpx.get(f"{orders}/orders/1").status_code


def test_pact_stub_prefers_the_most_specific_interaction(orders: str) -> None:
    assert [{"id": 1}] == httpx.get(f"{orders}/orders", params={"customer": "7"}).json()


def test_pact_stub_refuses_a_query_the_interaction_does_not_name(orders: str) -> None:
    """`GET /orders/1` names no query: with one added the request is strict-matched and refused."""
    headers = {"X-Interlock-State": "order 1 exists"}
    assert 200 == httpx.get(f"{orders}/orders/1", headers=headers).status_code
    assert 404 == httpx.get(f"{orders}/orders/1?extra=1", headers=headers).status_code


def test_pact_stub_journals_each_request_as_received(orders: str) -> None:
    """The journal shows method, path with query, status, the matched stub and a UTC time."""
    httpx.get(f"{orders}/orders", params={"customer": "7"})
    entry = httpx.get(f"{orders}/__admin/journal").json()["requests"][-1]
    assert ("GET", "/orders?customer=7", 200) == (entry["method"], entry["path"], entry["status"])
    assert entry["matched"].endswith("#3")
    assert entry["time"].endswith("Z")


def test_pact_stub_explains_a_request_that_matches_nothing(orders: str) -> None:
    response = httpx.post(f"{orders}/orders", json={"item": 5})
    assert 404 == response.status_code
    body = response.json()
    closest = body["closest"][0]
    assert "create an order" == closest["description"]
    assert any("$.item" in reason for reason in closest["mismatches"])
    unmatched = httpx.get(f"{orders}/__admin/unmatched").json()["requests"]
    assert body["closest"] == unmatched[-1]["closest"]


def test_stub_host_is_a_plain_asgi_app(stub_files: Callable[[str, object], str]) -> None:
    """Embedded in-process (httpx's ASGI transport), without any server."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from interlock.stubs import StubHost, load_services

    app = StubHost(load_services([stub_files("web-orders.json", ORDERS_PACT)]))

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://orders") as client:
            return await client.get("/orders", params={"customer": "7"})

    # its own thread, so its own event loop: an embedding program may already run one here
    with ThreadPoolExecutor(1) as thread:
        answer = thread.submit(lambda: asyncio.run(call())).result()
    assert [{"id": 1}] == answer.json()


def test_public_surface_is_pinned() -> None:
    """Other packages (envs, the demo) import these names; a change here is deliberate."""
    import interlock.stubs

    assert {
        "FaultError", "HttpFault", "RecordingProxy", "RecordingServer", "ServiceEndpoint",
        "StubHost", "StubReply", "StubRequest", "StubRoute", "StubServer", "StubService",
        "add_fault", "infer_matchers", "list_faults", "load_fault_config", "load_services",
        "parse_fault", "remove_faults",
    } <= set(interlock.stubs.__all__)  # fmt: skip
