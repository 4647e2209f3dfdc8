"""pact-python's `Verifier` (the Rust core) fetching pacts from Interlock's broker with
consumer version selectors, pending and WIP pacts, and publishing its results there."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from pact import Verifier

pytestmark = pytest.mark.server


def _publish(client: httpx.Client, version: str, branch: str, pact: dict[str, Any]) -> None:
    content = base64.b64encode(json.dumps(pact).encode()).decode()
    body = {
        "pacticipantName": "web",
        "pacticipantVersionNumber": version,
        "branch": branch,
        "contracts": [{"providerName": "orders", "specification": "pact", "content": content}],
    }
    assert 200 == client.post("/contracts/publish", json=body).status_code


def _result(client: httpx.Client, consumer_version: str, provider_version: str) -> Any:
    query = [
        ("q[][pacticipant]", "web"),
        ("q[][version]", consumer_version),
        ("q[][pacticipant]", "orders"),
        ("q[][version]", provider_version),
        ("latestby", "cvpv"),
    ]
    rows = client.get(f"/matrix?{urlencode(query)}").json()["matrix"]
    return [row["verificationResult"] and row["verificationResult"]["success"] for row in rows]


def test_verifier_with_selectors_verifies_main_and_wip_pacts_and_publishes(
    broker: Any, order_provider: str, make_pact: Callable[..., dict[str, Any]]
) -> None:
    """The main branch's pact passes; a feature branch's changed pact is WIP and pending, so
    its failure is published without failing the verification."""
    with broker.client() as client:
        _publish(client, "1.0.0", "main", make_pact("web", "orders", "open"))
        _publish(client, "1.1.0", "feat-closed", make_pact("web", "orders", "closed"))
        selected = client.post(
            "/pacts/provider/orders/for-verification",
            json={
                "consumerVersionSelectors": [{"mainBranch": True}],
                "includePendingStatus": True,
                "includeWipPactsSince": "2020-01-01",
                "providerVersionBranch": "main",
            },
        ).json()["_embedded"]["pacts"]
    # nothing verified yet: the main branch's pact is pending too; the feature one is WIP
    assert [(True, False), (True, True)] == [
        (p["verificationProperties"]["pending"], p["verificationProperties"].get("wip", False))
        for p in selected
    ]

    verifier = (
        Verifier("orders", host="127.0.0.1")
        .add_transport(url=order_provider)
        .state_handler(f"{order_provider}/_pact/state", teardown=True, body=True)
        .set_publish_options(version="2.0.0", branch="main")
        .broker_source(broker.url, selector=True)
        .consumer_version(main_branch=True)
        .include_pending()
        .include_wip_since("2020-01-01")
        .build()
    )
    with contextlib.suppress(RuntimeError):  # raised only when a non-pending pact fails
        verifier.verify()
    outcomes = sorted(
        (r["description"], r["result"]) for r in verifier.results["interactionResults"]
    )
    assert 2 == len(outcomes)

    with broker.client() as client:
        assert [True] == _result(client, "1.0.0", "2.0.0")
        assert [False] == _result(client, "1.1.0", "2.0.0")
        version = client.get("/pacticipants/orders/versions/2.0.0").json()
    assert ["main"] == [b["name"] for b in version["_embedded"]["branchVersions"]]


def test_verified_content_stops_being_pending(
    broker: Any, make_pact: Callable[..., dict[str, Any]]
) -> None:
    """Once a provider version on the branch verified a content, it is no longer pending."""
    with broker.client() as client:
        _publish(client, "1.0.0", "main", make_pact("web", "orders"))
        body = {
            "consumerVersionSelectors": [{"branch": "main"}],
            "includePendingStatus": True,
            "providerVersionBranch": "main",
        }
        before = client.post("/pacts/provider/orders/for-verification", json=body).json()
        pact_url = before["_embedded"]["pacts"][0]["_links"]["self"]["href"]
        pact = client.get(pact_url).json()
        client.put("/pacticipants/orders/branches/main/versions/2.0.0", json={})
        client.post(
            pact["_links"]["pb:publish-verification-results"]["href"],
            json={"success": True, "providerApplicationVersion": "2.0.0"},
        )
        after = client.post("/pacts/provider/orders/for-verification", json=body).json()
    assert True is before["_embedded"]["pacts"][0]["verificationProperties"]["pending"]
    assert False is after["_embedded"]["pacts"][0]["verificationProperties"]["pending"]
    notices = after["_embedded"]["pacts"][0]["verificationProperties"]["notices"]
    assert "latest version from branch 'main' (1.0.0)" in notices[0]["text"]
