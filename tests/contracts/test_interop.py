"""Interoperability with the reference implementation (pact-python 4, on the Rust core).

Pacts written by pact-python's consumer DSL (v3 and v4) are read by Interlock without loss and
verified by Interlock with the same outcome as pact-python's own verifier, passing and failing.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from pact import Pact, Verifier, match

from interlock.contracts import VerifyOptions, load_pact, pact_to_json, verify_pacts

pytestmark = pytest.mark.server


def _consumer_pact(folder: Path, version: str, status_regex: str, status_example: str) -> Path:
    """Run a consumer test with pact-python's mock server and write the pact file."""
    pact = Pact("web", "orders").with_specification(version)
    (
        pact.upon_receiving("a request for order 42")
        .given("an order exists", id=42)
        .with_request("GET", "/orders/42")
        .will_respond_with(200)
        .with_body(
            {
                "id": match.int(42),
                "status": match.regex(status_example, regex=status_regex),
                "total": match.decimal(12.5),
            },
            content_type="application/json",
        )
    )
    (
        pact.upon_receiving("an order is created")
        .with_request("POST", "/orders")
        .with_body({"items": ["A-1"]}, content_type="application/json")
        .will_respond_with(201)
        .with_body({"id": match.int(1), "items": match.each_like("A-1"), "status": "new"})
    )
    with pact.serve() as server:
        assert 200 == httpx.get(f"{server.url}/orders/42").status_code
        assert 201 == httpx.post(f"{server.url}/orders", json={"items": ["A-1"]}).status_code
    pact.write_file(folder, overwrite=True)
    return folder / "web-orders.json"


def _reference_failures(pact_file: Path, provider: Any) -> list[str]:
    """The descriptions of the interactions pact-python's verifier fails."""
    verifier = (
        Verifier("orders", host="127.0.0.1")
        .add_transport(url=provider.base_url)
        .add_source(pact_file)
        .state_handler(provider.state_url, teardown=True, body=True)
    )
    with contextlib.suppress(RuntimeError):  # pact-python reports a failure by raising
        verifier.verify()
    results = verifier.results["interactionResults"]
    return [r["description"] for r in results if r["result"] != "OK"]


@pytest.mark.parametrize("version", ["V3", "V4"])
def test_pact_python_file_is_read_without_loss(version: str, tmp_path: Path) -> None:
    path = _consumer_pact(tmp_path, version, "open|closed", "open")
    assert json.loads(path.read_text(encoding="utf-8")) == pact_to_json(load_pact(path))


@pytest.mark.parametrize("version", ["V3", "V4"])
def test_passing_pact_passes_both_verifiers(version: str, tmp_path: Path, provider: Any) -> None:
    path = _consumer_pact(tmp_path, version, "open|closed", "open")
    report = verify_pacts([path], VerifyOptions("orders", provider.base_url, provider.state_url))
    assert [("a request for order 42", "passed"), ("an order is created", "passed")] == [
        (r.description, r.status) for r in report.results
    ]
    assert [] == _reference_failures(path, provider)


@pytest.mark.parametrize("version", ["V3", "V4"])
def test_planted_mismatch_fails_both_on_the_same_interaction(
    version: str, tmp_path: Path, provider: Any
) -> None:
    """The consumer expects a cancelled order; the provider says it is open."""
    path = _consumer_pact(tmp_path, version, "cancelled", "cancelled")
    report = verify_pacts([path], VerifyOptions("orders", provider.base_url, provider.state_url))
    failed = [r.description for r in report.results if r.status != "passed"]
    assert ["a request for order 42"] == failed
    assert failed == _reference_failures(path, provider)
