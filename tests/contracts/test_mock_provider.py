"""The mock provider: a real HTTP server answering from declared interactions, and its readable report."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from interlock.contracts import match
from interlock.contracts.dsl import ConsumerPact
from interlock.contracts.mock_provider import MockProvider, MockProviderError

pytestmark = pytest.mark.server


def _orders_pact() -> ConsumerPact:
    pact = ConsumerPact("web", "orders")
    (
        pact.upon_receiving("a request for order 7")
        .given("an order exists", id=7)
        .with_request("GET", "/orders/7", headers={"Accept": "application/json"})
        .will_respond_with(
            200,
            headers={"X-Trace": match.hexadecimal("ab12", digits=8, generate=True)},
            body={
                "id": match.provider_state("${id}", 1),
                "ref": match.uuid(generate=True),
                "count": match.integer(1, min=5, max=9, generate=True),
                "self": match.mock_server_url(r".*(/orders/7)", "http://example.test/orders/7"),
                "placed": match.date(generate=True),
            },
        )
    )
    (
        pact.upon_receiving("an order is placed")
        .with_request(
            "POST",
            "/orders",
            body={"sku": match.regex(r"[A-Z]-\d+", "A-1"), "quantity": match.integer(1)},
        )
        .will_respond_with(201, body={"status": "new"})
    )
    return pact


def test_serves_the_declared_response_with_generators_applied() -> None:
    pact = _orders_pact()
    with pact.serve() as mock:
        got = httpx.get(f"{mock.url}/orders/7", headers={"Accept": "application/json"})
        httpx.post(f"{mock.url}/orders", json={"sku": "B-12", "quantity": 3})
    body = got.json()
    assert (200, "application/json") == (got.status_code, got.headers["content-type"])
    assert 7 == body["id"]  # from the provider state's parameter
    assert "e2490de5-5bd3-43d5-b7c4-526e33f71304" != body["ref"]
    assert str(uuid.UUID(body["ref"])) == body["ref"]
    assert 5 <= body["count"] <= 9
    assert f"{mock.url}/orders/7" == body["self"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", body["placed"])
    assert re.fullmatch("[0-9a-f]{8}", got.headers["x-trace"])


def test_an_unmatched_request_gets_a_500_naming_the_closest_interaction() -> None:
    pact = _orders_pact()
    with MockProvider(pact) as mock:
        got = httpx.post(f"{mock.url}/orders", json={"sku": "a-1", "quantity": 1})
    assert 500 == got.status_code
    assert {
        "error": "the request matched no interaction",
        "closest": "an order is placed",
        "mismatches": [
            "body $.sku: expected a value matching the regex '[A-Z]-\\\\d+', found \"a-1\""
        ],
    } == got.json()


def test_report_reads_as_a_diff_of_what_came_and_what_never_came() -> None:
    pact = _orders_pact()
    with MockProvider(pact) as mock:
        httpx.post(f"{mock.url}/orders", json={"sku": "A-1", "quantity": "2"})
        report = mock.report()
    assert not report.ok
    assert (
        "mock provider web -> orders: 3 problem(s)\n"
        "\n"
        "request matched no interaction: POST /orders\n"
        '  body: {"sku": "A-1", "quantity": "2"}\n'
        "  closest interaction: 'an order is placed' (POST /orders)\n"
        '    body $.quantity: expected an integer, found "2"\n'
        "      - expected: an integer\n"
        '      + received: "2"\n'
        "\n"
        "interaction never called: 'a request for order 7' (GET /orders/7) given an order exists {\"id\": 7}\n"
        "\n"
        "interaction never called: 'an order is placed' (POST /orders)"
    ) == report.describe()


def test_serve_raises_the_report_when_the_block_ends() -> None:
    pact = _orders_pact()
    with pytest.raises(MockProviderError) as caught, pact.serve() as mock:
        httpx.get(f"{mock.url}/orders/7", headers={"Accept": "application/json"})
    assert "interaction never called: 'an order is placed' (POST /orders)" in str(caught.value)


def test_a_method_or_path_difference_makes_an_interaction_less_close() -> None:
    """A wrong body on the right route is closer than a right body on the wrong route."""
    pact = _orders_pact()
    with MockProvider(pact) as mock:
        httpx.get(f"{mock.url}/orders/7", headers={"Accept": "text/html"})
        report = mock.report()
    [unexpected] = report.unexpected
    assert unexpected.closest is not None
    assert "a request for order 7" == unexpected.closest.description
    assert ["header"] == [m.category for m in unexpected.mismatches]


def test_a_repeated_request_is_served_every_time() -> None:
    pact = _orders_pact()
    with MockProvider(pact) as mock:
        codes = [
            httpx.post(f"{mock.url}/orders", json={"sku": "A-1", "quantity": 1}).status_code
            for _ in range(3)
        ]
        report = mock.report()
    assert [201, 201, 201] == codes
    assert 3 == report.calls["an order is placed"]


def test_interactions_declared_after_start_are_served() -> None:
    pact = ConsumerPact("web", "orders")
    with pact.serve() as mock:
        pact.upon_receiving("a health check").with_request("GET", "/health").will_respond_with(
            200, body="ok"
        )
        got = httpx.get(f"{mock.url}/health")
    assert (200, "ok", "text/plain") == (got.status_code, got.text, got.headers["content-type"])
