"""The stub server's admin API and how several services share one process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from interlock.stubs import StubServer

pytestmark = pytest.mark.server


def mapping(url: str, text: str) -> dict[str, Any]:
    return {"request": {"method": "GET", "url": url}, "response": {"status": 200, "body": text}}


@pytest.fixture
def two_sources(stub_files: Callable[[str, object], str]) -> list[str]:
    return [
        "orders=" + stub_files("orders.json", mapping("/x", "from orders")),
        "payments=" + stub_files("payments.json", mapping("/x", "from payments")),
    ]


def test_each_service_gets_its_own_port(
    stub_serve: Callable[..., StubServer], two_sources: list[str]
) -> None:
    server = stub_serve(*two_sources)
    assert "from orders" == httpx.get(server.app.urls["orders"] + "/x").text
    assert "from payments" == httpx.get(server.app.urls["payments"] + "/x").text


def test_one_port_routes_by_path_prefix_and_by_host(
    stub_serve: Callable[..., StubServer], two_sources: list[str]
) -> None:
    server = stub_serve(*two_sources, per_service=False)
    assert "from payments" == httpx.get(server.app.urls["payments"] + "/x").text
    base = server.app.urls["orders"].rsplit("/", 1)[0]
    by_host = httpx.get(base + "/x", headers={"Host": "orders.localhost"})
    assert "from orders" == by_host.text


def test_admin_lists_services_and_stubs(
    stub_serve: Callable[..., StubServer], two_sources: list[str]
) -> None:
    server = stub_serve(*two_sources, admin_port=0)
    assert server.admin_url is not None
    services = httpx.get(f"{server.admin_url}/services").json()["services"]
    assert ["orders", "payments"] == [s["name"] for s in services]
    stubs = httpx.get(f"{server.admin_url}/stubs", params={"service": "orders"}).json()["stubs"]
    assert [("GET", "/x")] == [(s["method"], s["path"]) for s in stubs]


def test_journal_is_bounded(stub_serve: Callable[..., StubServer], two_sources: list[str]) -> None:
    """Under load the journal keeps only the most recent requests."""
    server = stub_serve(*two_sources, journal_size=5)
    url = server.app.urls["orders"]
    with httpx.Client() as client:
        for number in range(12):
            client.get(f"{url}/x?n={number}")
    journal = httpx.get(f"{url}/__admin/journal").json()["requests"]
    assert ["/x?n=7", "/x?n=8", "/x?n=9", "/x?n=10", "/x?n=11"] == [e["path"] for e in journal]


def test_unmatched_requests_and_reset(
    stub_serve: Callable[..., StubServer], two_sources: list[str]
) -> None:
    url = stub_serve(*two_sources).app.urls["orders"]
    assert 404 == httpx.get(f"{url}/nothing").status_code
    unmatched = httpx.get(f"{url}/__admin/unmatched").json()["requests"]
    assert ["/nothing"] == [e["path"] for e in unmatched]
    assert (
        "path: expected url '/x', found '/nothing'" == unmatched[0]["closest"][0]["mismatches"][0]
    )
    assert 204 == httpx.post(f"{url}/__admin/reset").status_code
    assert [] == httpx.get(f"{url}/__admin/journal").json()["requests"]


def test_add_a_stub_at_runtime(
    stub_serve: Callable[..., StubServer], two_sources: list[str]
) -> None:
    url = stub_serve(*two_sources).app.urls["orders"]
    added = httpx.post(
        f"{url}/__admin/stubs",
        json={
            "service": "orders",
            "pact": {
                "description": "health",
                "request": {"method": "GET", "path": "/health"},
                "response": {"status": 200, "body": {"content": {"ok": True}}},
            },
        },
    )
    assert 201 == added.status_code, added.text
    assert {"ok": True} == httpx.get(f"{url}/health").json()
    wiremock = {"service": "orders", "wiremock": mapping("/y", "why")}
    assert 201 == httpx.post(f"{url}/__admin/stubs", json=wiremock).status_code
    assert "why" == httpx.get(f"{url}/y").text


def test_admin_refuses_bad_input_with_a_clear_message(
    stub_serve: Callable[..., StubServer], two_sources: list[str]
) -> None:
    url = stub_serve(*two_sources).app.urls["orders"]
    response = httpx.put(f"{url}/__admin/services/orders/state", json={"state": 3})
    assert 400 == response.status_code
    assert "$.state: expected a string or null" == response.json()["error"]
    assert 404 == httpx.get(f"{url}/__admin/services/nope/faults").status_code


def test_one_service_on_one_port_keeps_its_paths(
    stub_serve: Callable[..., StubServer], stub_files: Callable[[str, object], str]
) -> None:
    """A lone service named like its first path segment is not mistaken for a prefix."""
    source = "orders=" + stub_files("o.json", mapping("/orders/1", "one"))
    server = stub_serve(source, per_service=False)
    assert "one" == httpx.get(server.app.urls["orders"] + "/orders/1").text
