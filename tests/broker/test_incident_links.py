"""What the broker tells the incidents view: one change event per deployment, and an alert
for each failed verification, both through the real server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from interlock.store import create_engine_for
from interlock.store.incident_schema import alert_outbox

from .test_api import _deploy, _publish, _verify

pytestmark = pytest.mark.server


def test_a_deployment_is_exactly_one_change_event(
    broker: Any, make_pact: Callable[..., dict[str, Any]]
) -> None:
    """Recording a deployment writes one `deploy` change event (a release writes none)."""
    with broker.client() as client:
        client.post("/environments", json={"name": "production"})
        _publish(client, "web", "1.0.0", [make_pact("web", "orders")])
        _deploy(client, "web", "1.0.0", "production")
        described = client.get("/pacticipants/web/versions/1.0.0").json()
        release = next(
            link
            for link in described["_links"]["pb:record-release"]
            if link["name"] == "production"
        )
        assert 201 == client.post(release["href"], json={}).status_code
    with broker.client() as client:
        changes = client.get(f"{broker.root}/api/changes").json()
    deploys = [c for c in changes if c["service"] == "web"]
    assert 1 == len(deploys)
    assert "deploy" == deploys[0]["kind"]
    assert "1.0.0" == deploys[0]["version"]
    assert "production" == deploys[0]["environment"]


def _queued_alerts(database_url: str) -> list[dict[str, Any]]:
    engine = create_engine_for(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(alert_outbox.c.payload).order_by(alert_outbox.c.id))
            return [dict(row.payload) for row in rows]
    finally:
        engine.dispose()


def test_a_failed_verification_raises_an_alert_and_a_pass_resolves_it(
    broker: Any, make_pact: Callable[..., dict[str, Any]]
) -> None:
    """A failed result queues a firing ContractVerificationFailed alert on the provider; the
    next passing result of the pair queues its resolution."""
    with broker.client() as client:
        _publish(client, "web", "1.0.0", [make_pact("web", "orders")])
        pact = client.get("/pacts/provider/orders/consumer/web/version/1.0.0").json()
        _verify(client, pact, "3.0.0", False)
        failed = _queued_alerts(broker.database_url)
        _verify(client, pact, "3.0.1", True)
    alerts = _queued_alerts(broker.database_url)
    assert 1 == len(failed)
    assert ["firing", "resolved"] == [a["status"] for a in alerts]
    assert {"ContractVerificationFailed"} == {a["name"] for a in alerts}
    assert "orders" == alerts[0]["service"]
    assert "web" == alerts[0]["labels"]["consumer"]
    assert "3.0.0" == alerts[0]["labels"]["provider_version"]
    assert alerts[0]["fingerprint"] == alerts[1]["fingerprint"]
