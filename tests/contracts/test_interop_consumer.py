"""Interoperability of the consumer side with the reference implementation (pact-python 4, Rust core).

A pact written by Interlock's DSL passes pact-python's verifier against the real example
`inventory` service (and a planted mismatch fails both verifiers on the same interaction);
a pact written by pact-python's consumer DSL is served by Interlock's mock provider, which
accepts and refuses the same requests as pact-python's own mock server.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pact import Pact as ReferencePact
from pact import Verifier
from pact import match as reference_match

from interlock.contracts import VerifyOptions, load_pact, match, verify_pacts, write_pact
from interlock.contracts.dsl import ConsumerPact
from interlock.contracts.mock_provider import MockProvider
from interlock.contracts.pact_files import PactCollector
from interlock.ports import free_port, wait_for_port

pytestmark = pytest.mark.server

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
INVENTORY_STATES = ("products exist", "product 1 exists", "product 999 does not exist")


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The example shop's real `inventory` service on uvicorn, on its seeded SQLite database."""
    monkeypatch.syspath_prepend(str(SHOP))
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'inventory.db'}")
    app = importlib.import_module("inventory.app").create_app()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@dataclass
class StateEndpoint:
    """A provider-state URL that records each state change (inventory's seed data holds them all)."""

    url: str
    calls: list[tuple[str, str]] = field(default_factory=list)


@pytest.fixture
def states() -> Iterator[StateEndpoint]:
    endpoint = StateEndpoint("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            endpoint.calls.append((body["state"], body.get("action", "setup")))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/_pact/state"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield endpoint
    server.shutdown()
    server.server_close()
    thread.join()


def _gateway_pact(spec: str, price: Any) -> ConsumerPact:
    """What gateway expects of inventory; `price` is the matcher planted or not."""
    pact = ConsumerPact("gateway", "inventory", spec=spec)
    product = {
        "id": match.integer(1),
        "sku": match.regex(r"[A-Z]+-\d{3}", "MUG-001"),
        "name": match.string("Enamel mug"),
        "price": price,
        "stock": match.integer(40),
    }
    (
        pact.upon_receiving("a request for the product list")
        .given("products exist")
        .with_request("GET", "/products")
        .will_respond_with(200, body=match.each_like({**product, "price": match.integer(1200)}))
    )
    (
        pact.upon_receiving("a request for product 1")
        .given("product 1 exists", id=1)
        .with_request("GET", "/products/1")
        .will_respond_with(200, body=product)
    )
    (
        pact.upon_receiving("a request for a product that does not exist")
        .given("product 999 does not exist", id=999)
        .with_request("GET", "/products/999")
        .will_respond_with(404, body={"detail": match.string("product 999 not found")})
    )
    return pact


def _consumer_test(pact: ConsumerPact, folder: Path) -> Path:
    """Play the consumer against Interlock's mock provider, then write the pact file."""
    with pact.serve() as mock:
        assert 200 == httpx.get(f"{mock.url}/products").status_code
        assert 200 == httpx.get(f"{mock.url}/products/1").status_code
        assert 404 == httpx.get(f"{mock.url}/products/999").status_code
    collector = PactCollector(folder)
    collector.add(pact.to_pact())
    [path] = collector.write()
    return path


def _reference_failures(pact_file: Path, base_url: str, states: StateEndpoint) -> list[str]:
    """The descriptions of the interactions pact-python's verifier fails."""
    verifier = (
        Verifier("inventory", host="127.0.0.1")
        .add_transport(url=base_url)
        .add_source(pact_file)
        .state_handler(states.url, body=True)
    )
    with contextlib.suppress(RuntimeError):  # pact-python reports a failure by raising
        verifier.verify()
    results = verifier.results["interactionResults"]
    return sorted(r["description"] for r in results if r["result"] != "OK")


def _interlock_failures(pact_file: Path, base_url: str, states: StateEndpoint) -> list[str]:
    report = verify_pacts([pact_file], VerifyOptions("inventory", base_url, states.url))
    return sorted(r.description for r in report.results if r.status != "passed")


def _setups(states: StateEndpoint) -> list[str]:
    return sorted(state for state, action in states.calls if action == "setup")


@pytest.mark.parametrize("spec", ["3", "4"])
def test_dsl_pact_passes_pact_python_verifier(
    spec: str, tmp_path: Path, inventory: str, states: StateEndpoint
) -> None:
    path = _consumer_test(_gateway_pact(spec, match.integer(1200)), tmp_path)
    assert [] == _reference_failures(path, inventory, states)
    assert sorted(INVENTORY_STATES) == _setups(states)
    states.calls.clear()
    assert [] == _interlock_failures(path, inventory, states)
    assert sorted(INVENTORY_STATES) == _setups(states)


@pytest.mark.parametrize("spec", ["3", "4"])
def test_planted_mismatch_fails_both_verifiers_on_the_same_interaction(
    spec: str, tmp_path: Path, inventory: str, states: StateEndpoint
) -> None:
    """The consumer expects product 1's price as a decimal; inventory sends integer cents."""
    path = _consumer_test(_gateway_pact(spec, match.decimal(12.0)), tmp_path)
    assert ["a request for product 1"] == _reference_failures(path, inventory, states)
    assert ["a request for product 1"] == _interlock_failures(path, inventory, states)


def _reference_consumer(version: str) -> ReferencePact:
    pact = ReferencePact("web", "orders").with_specification(version)
    (
        pact.upon_receiving("a request for order 42")
        .given("an order exists", id=42)
        .with_request("GET", "/orders/42")
        .with_query_parameter("fields", "all")
        .will_respond_with(200)
        .with_body(
            {"id": reference_match.int(42), "total": reference_match.decimal(12.5)},
            content_type="application/json",
        )
    )
    (
        pact.upon_receiving("an order is created")
        .with_request("POST", "/orders")
        .with_body(
            {
                "items": reference_match.each_like(
                    {"sku": reference_match.regex("A-1", regex=r"[A-Z]-\d+")}, min=1
                ),
                "tags": reference_match.each_like("gift"),
                "note": reference_match.str("leave at the door"),
            },
            content_type="application/json",
        )
        .will_respond_with(201)
        .with_body({"id": reference_match.int(1), "status": "new"}, content_type="application/json")
    )
    return pact


REQUESTS: list[tuple[str, str, Any]] = [
    ("GET", "/orders/42?fields=all", None),
    ("GET", "/orders/42", None),
    ("GET", "/orders/43?fields=all", None),
    ("POST", "/orders", {"items": [{"sku": "B-22"}, {"sku": "C-3"}], "note": "ring", "tags": []}),
    ("POST", "/orders", {"items": [{"sku": "b-22"}], "note": "ring", "tags": ["a"]}),
    ("POST", "/orders", {"items": [], "note": "ring", "tags": ["a"]}),
    ("POST", "/orders", {"items": [{"sku": "A-1"}], "note": 7, "tags": ["a"]}),
    ("POST", "/orders", {"items": [{"sku": "A-1"}], "note": "x", "tags": [1]}),
    ("POST", "/orders", {"items": [{"sku": "A-1"}], "note": "x", "tags": [], "extra": True}),
    ("DELETE", "/orders/42", None),
]
"""Requests a consumer might send: some the contract allows, some it does not."""


def _statuses(base_url: str) -> list[int]:
    with httpx.Client(base_url=base_url) as client:
        return [client.request(m, path, json=body).status_code for m, path, body in REQUESTS]


@pytest.mark.parametrize("version", ["V3", "V4"])
def test_pact_python_pact_is_served_alike_by_interlock_mock(version: str, tmp_path: Path) -> None:
    """Each request gets the same answer (served, or refused with 500) from both mock servers."""
    reference = _reference_consumer(version)
    with reference.serve(raises=False) as server:
        expected = _statuses(str(server.url))
    reference.write_file(tmp_path, overwrite=True)
    pact = load_pact(tmp_path / "web-orders.json")

    with MockProvider(pact) as mock:
        actual = _statuses(mock.url)
        report = mock.report()

    assert [200, 500, 500, 201, 500, 500, 500, 500, 500, 500] == expected
    assert expected == actual
    assert 8 == len(report.unexpected)
    assert [] == list(report.missing)


MATCHERS: list[tuple[str, Any, Any, Any]] = [
    ("integer", match.integer(3), 99, 1.5),
    ("decimal", match.decimal(1.5), 2.25, 2),
    ("number", match.number(2), 2.5, "2"),
    ("string", match.string("a"), "zzz", 1),
    ("like", match.like({"a": 1, "b": "x"}), {"a": 5, "b": "y", "c": 0}, {"a": "5", "b": "y"}),
    ("regex", match.regex(r"[A-Z]{3}", "EUR"), "USD", "usd"),
    ("include", match.include("ell", "hello"), "yellow", "help"),
    ("boolean", match.boolean(), False, 0),
    ("null", match.null(), None, 0),
    ("date", match.date(), "2025-12-31", "31/12/2025"),
    ("time", match.time(), "23:59:01", "11pm"),
    (
        "datetime",
        match.datetime("yyyy-MM-dd'T'HH:mm:ssXXX", "2026-01-31T12:30:00+00:00"),
        "2025-01-01T00:00:00+02:00",
        "2025-01-01",
    ),
    ("hexadecimal", match.hexadecimal("ff"), "0a9F", "0x1"),
    ("either", match.either(match.integer(1), match.null()), None, "1"),
    ("uuid", match.uuid(), "0f8fad5b-d9cb-469f-a165-70867728950e", "not-a-uuid"),
    ("semver", match.semver("1.2.3"), "10.0.1-rc.1", "1.2"),
    ("not_empty", match.not_empty("x"), "y", ""),
    ("each_like", match.each_like({"id": match.integer(1)}, min=1), [{"id": 5}, {"id": 6}], []),
    ("each_like max", match.each_like("a", min=1, max=2), ["b", "c"], ["b", "c", "d"]),
    ("values", match.values({"a": match.integer(1)}), {"x": 2, "y": 3}, {"x": "2"}),
    ("each_key", match.each_key({"ab": 1}, match.regex("[a-z]+", "ab")), {"zz": 1}, {"Z1": 1}),
    ("each_value", match.each_value({"a": 1}, match.integer()), {"b": 2, "c": 3}, {"b": "2"}),
    (
        "array_containing",
        match.array_containing([{"kind": "gift", "n": match.integer(1)}]),
        [{"kind": "x", "n": 1}, {"kind": "gift", "n": 7}],
        [{"kind": "x", "n": 1}],
    ),
]
"""Each matcher of the DSL, a value it accepts and one it refuses."""


@pytest.fixture
def values_provider() -> Iterator[str]:
    """Answers `GET /values/<name>/good|bad` with `{"v": ...}` from `MATCHERS`."""
    answers = {
        f"/values/{name.replace(' ', '-')}/{kind}": json.dumps({"v": value}).encode()
        for name, _, good, bad in MATCHERS
        for kind, value in (("good", good), ("bad", bad))
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            content = answers.get(self.path, b"{}")
            self.send_response(200 if self.path in answers else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.parametrize("spec", ["3", "4"])
def test_every_dsl_matcher_means_the_same_to_both_verifiers(
    spec: str, tmp_path: Path, values_provider: str
) -> None:
    """Each matcher passes its good value and fails its bad one, in Interlock and in the Rust core."""
    pact = ConsumerPact("matchers", "values", spec=spec)
    for name, matcher, _, _ in MATCHERS:
        for kind in ("good", "bad"):
            (
                pact.upon_receiving(f"{name} with a {kind} value")
                .with_request("GET", f"/values/{name.replace(' ', '-')}/{kind}")
                .will_respond_with(200, body={"v": matcher})
            )
    path = tmp_path / "matchers-values.json"
    write_pact(pact.to_pact(), path)

    verifier = (
        Verifier("values", host="127.0.0.1").add_transport(url=values_provider).add_source(path)
    )
    with contextlib.suppress(RuntimeError):  # pact-python reports a failure by raising
        verifier.verify()
    reference = sorted(
        r["description"] for r in verifier.results["interactionResults"] if r["result"] != "OK"
    )
    report = verify_pacts([path], VerifyOptions("values", values_provider))
    ours = sorted(r.description for r in report.results if r.status != "passed")

    assert sorted(f"{name} with a bad value" for name, *_ in MATCHERS) == reference
    assert reference == ours
