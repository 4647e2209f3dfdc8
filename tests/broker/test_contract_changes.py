"""Coordination for breaking changes: a pact whose content changes is shown on the dashboard
with the interactions it touched and the catalog teams that own both sides, and webhooks
receive the same."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import Receiver, RunningBroker, serve_broker

pytestmark = pytest.mark.server

CATALOG = "".join(
    f"""---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-{name}
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {name}
spec:
  type: service
  lifecycle: production
  owner: group:team-{name}
"""
    for name in ("orders", "web")
)


@pytest.fixture
def owned_broker(tmp_path: Path) -> Iterator[RunningBroker]:
    """A broker whose catalog says team-orders owns `orders` and team-web owns `web`."""
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "catalog-info.yaml").write_text(CATALOG, encoding="utf-8")
    with serve_broker(tmp_path) as running:
        yield running


def _put(broker: RunningBroker, pact: dict[str, Any], version: str) -> None:
    with broker.client() as client:
        reply = client.put(
            f"/pacts/provider/orders/consumer/web/version/{version}", content=json.dumps(pact)
        )
    assert 200 == reply.status_code, reply.text


def _with_new_interaction(pact: dict[str, Any]) -> dict[str, Any]:
    extra = {
        "description": "a request for all orders",
        "request": {"method": "GET", "path": "/orders"},
        "response": {"status": 200},
    }
    return {**pact, "interactions": [*pact["interactions"], extra]}


def test_changed_pact_is_listed_with_its_interactions_and_owning_teams(
    owned_broker: RunningBroker, make_pact: Callable[..., dict[str, Any]]
) -> None:
    """Only publications that change the content are changes; each names the interactions
    added and changed, the previous version, and the teams of both sides."""
    _put(owned_broker, make_pact("web", "orders"), "1.0.0")
    _put(owned_broker, make_pact("web", "orders"), "1.0.1")
    _put(owned_broker, _with_new_interaction(make_pact("web", "orders", "closed")), "1.1.0")
    with owned_broker.client() as client:
        listed = client.get(f"{owned_broker.root}/api/contracts/changes").json()["changes"]
        page = client.get(f"{owned_broker.root}/contracts/changes", headers={"Accept": "text/html"})
        pair = client.get(f"{owned_broker.root}/api/contracts/changes?provider=nobody").json()
    assert 1 == len(listed)
    change = listed[0]
    assert ("web", "orders", "1.1.0", "1.0.1") == (
        change["consumer"],
        change["provider"],
        change["consumerVersion"],
        change["previousConsumerVersion"],
    )
    assert {
        "added": ["a request for all orders"],
        "removed": [],
        "changed": ["a request for order 42 (given an order exists)"],
    } == change["interactions"]
    assert ["team-orders"] == change["providerTeams"]
    assert ["team-web"] == change["consumerTeams"]
    assert 200 == page.status_code
    assert "a request for all orders" in page.text
    assert "team-orders" in page.text
    assert [] == pair["changes"]


def test_content_changed_webhook_names_the_teams_and_the_interactions(
    owned_broker: RunningBroker,
    receiver: Receiver,
    make_pact: Callable[..., dict[str, Any]],
) -> None:
    """`${pactbroker.providerTeams}`, `consumerTeams` and `changedInteractions` are filled in
    for contract_content_changed."""
    body = (
        '{"to": "${pactbroker.providerTeams}", "cc": "${pactbroker.consumerTeams}", '
        '"what": "${pactbroker.changedInteractions}"}'
    )
    hook = {
        "events": [{"name": "contract_content_changed"}],
        "request": {"method": "POST", "url": receiver.url, "body": body},
    }
    with owned_broker.client() as client:
        assert 201 == client.post("/webhooks", json=hook).status_code
    _put(owned_broker, make_pact("web", "orders"), "1.0.0")
    _put(owned_broker, make_pact("web", "orders", "closed"), "1.1.0")
    deadline = time.monotonic() + 20  # the receiver fails its first call: that is retried

    def bodies() -> dict[str, dict[str, str]]:
        return {c["body"]["what"].split(":")[0]: c["body"] for c in receiver.calls}

    while {"added", "changed"} - set(bodies()) and time.monotonic() < deadline:
        time.sleep(0.1)
    found = bodies()
    assert {
        "to": "team-orders",
        "cc": "team-web",
        "what": "changed: a request for order 42 (given an order exists)",
    } == found["changed"]
    assert "added: a request for order 42 (given an order exists)" == found["added"]["what"]
