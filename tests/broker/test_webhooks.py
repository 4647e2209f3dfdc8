"""Webhooks: created by the real `pact broker create-webhook`, fired by the six events with
`${pactbroker.*}` values filled in, retried with backoff against a receiver that fails first,
and every attempt logged at /webhooks/{uuid}/executions."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import Receiver, RunningBroker, serve_broker

PACT = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "pact"
pytestmark = pytest.mark.server


@pytest.fixture
def quick_broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningBroker]:
    """A broker whose webhooks retry after 50 ms, 100 ms, ..."""
    monkeypatch.setenv("INTERLOCK_BROKER_WEBHOOK_BACKOFF_S", "0.05")
    with serve_broker(tmp_path) as running:
        yield running


def _runs(broker: RunningBroker, key: str, count: int) -> list[dict[str, Any]]:
    """The webhook's runs, once there are `count` of them (oldest first)."""
    deadline = time.monotonic() + 15
    with broker.client() as client:
        while True:
            runs: list[dict[str, Any]] = client.get(f"/webhooks/{key}/executions").json()[
                "executions"
            ]
            if len(runs) >= count or time.monotonic() > deadline:
                return list(reversed(runs))
            time.sleep(0.05)


def _publish(broker: RunningBroker, pact: dict[str, Any], version: str) -> None:
    with broker.client() as client:
        reply = client.put(
            f"/pacts/provider/orders/consumer/web/version/{version}", content=json.dumps(pact)
        )
    assert 200 == reply.status_code, reply.text


def test_pact_cli_webhook_is_retried_until_the_receiver_answers(
    quick_broker: RunningBroker, receiver: Receiver, make_pact: Callable[..., dict[str, Any]]
) -> None:
    """contract_content_changed: a 500 first, then a 200 on the retry; unchanged content
    published again fires nothing; the template variables are filled in."""
    data = (
        '{"consumer": "${pactbroker.consumerName}", "version": '
        '"${pactbroker.consumerVersionNumber}", "event": "${pactbroker.eventName}", '
        '"pact": "${pactbroker.pactUrl}"}'
    )
    created = subprocess.run(
        [
            str(PACT), "broker", "create-webhook", receiver.url,
            "--request", "POST", "--header", "Content-Type: application/json",
            "--data", data, "--consumer", "web", "--provider", "orders",
            "--contract-content-changed", "--description", "tell orders' team",
            "--broker-base-url", quick_broker.url,
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert 0 == created.returncode, created.stdout + created.stderr
    with quick_broker.client() as client:
        hooks = client.get("/webhooks").json()["_embedded"]["webhooks"]
    assert [[{"name": "contract_content_changed"}]] == [h["events"] for h in hooks]
    key = hooks[0]["uuid"]

    _publish(quick_broker, make_pact("web", "orders"), "1.0.0")
    runs = _runs(quick_broker, key, 2)
    assert [(1, False, 500), (2, True, 200)] == [
        (r["attempt"], r["success"], r["status"]) for r in runs
    ]
    assert runs[0]["delivery"] == runs[1]["delivery"]
    body = receiver.calls[-1]["body"]
    assert "web" == body["consumer"]
    assert "1.0.0" == body["version"]
    assert "contract_content_changed" == body["event"]
    assert body["pact"].startswith(f"{quick_broker.url}/pacts/provider/orders/consumer/web/")

    _publish(quick_broker, make_pact("web", "orders"), "1.0.1")
    time.sleep(0.5)
    assert 2 == len(receiver.calls)
    _publish(quick_broker, make_pact("web", "orders", status="closed"), "1.0.2")
    assert 3 == len(_runs(quick_broker, key, 3))
    assert "1.0.2" == receiver.calls[-1]["body"]["version"]


def test_verification_and_requiring_verification_events(
    quick_broker: RunningBroker, receiver: Receiver, make_pact: Callable[..., dict[str, Any]]
) -> None:
    """provider_verification_failed carries the provider version and a failure status;
    contract_requiring_verification_published names the provider's main-branch head."""
    receiver.failures = 0
    events = [
        "provider_verification_failed",
        "provider_verification_succeeded",
        "contract_requiring_verification_published",
    ]
    body = {
        "event": "${pactbroker.eventName}",
        "provider": "${pactbroker.providerVersionNumber}",
        "branch": "${pactbroker.providerVersionBranch}",
        "github": "${pactbroker.githubVerificationStatus}",
        "result": "${pactbroker.verificationResultUrl}",
    }
    with quick_broker.client() as client:
        created = client.post(
            "/webhooks",
            json={
                "events": [{"name": e} for e in events],
                "request": {"method": "POST", "url": receiver.url, "body": body},
                "provider": {"name": "orders"},
            },
        )
        assert 201 == created.status_code, created.text
        key = created.json()["uuid"]
        assert 201 == created.status_code
        client.put("/pacticipants/orders/branches/main/versions/7.0.0")
    _publish(quick_broker, make_pact("web", "orders"), "1.0.0")
    _runs(quick_broker, key, 1)
    assert {
        "event": "contract_requiring_verification_published",
        "provider": "7.0.0",
        "branch": "main",
        "github": "pending",
        "result": "",
    } == receiver.calls[-1]["body"]

    with quick_broker.client() as client:
        pact = client.get("/pacts/provider/orders/consumer/web/version/1.0.0").json()
        results = pact["_links"]["pb:publish-verification-results"]["href"]
        verdict = {"success": False, "providerApplicationVersion": "7.0.0"}
        assert 201 == client.post(results, json=verdict).status_code
    _runs(quick_broker, key, 2)
    last = receiver.calls[-1]["body"]
    assert ("provider_verification_failed", "7.0.0", "failure") == (
        last["event"],
        last["provider"],
        last["github"],
    )
    assert last["result"].startswith(results + "/")
    assert "application/json" == receiver.calls[-1]["headers"]["content-type"]


def test_webhook_body_errors_name_the_field(quick_broker: RunningBroker) -> None:
    """An unknown event is a 400 naming body.events[0].name and the six events."""
    with quick_broker.client() as client:
        reply = client.post(
            "/webhooks",
            json={"events": [{"name": "x"}], "request": {"method": "POST", "url": "http://a/"}},
        )
    assert 400 == reply.status_code
    assert "body.events[0].name" in reply.json()["error"]
    assert "contract_requiring_verification_published" in reply.json()["error"]


def test_all_executions_are_listed(quick_broker: RunningBroker) -> None:
    """/webhooks/executions answers an empty list on a new broker."""
    with httpx.Client(base_url=quick_broker.url) as client:
        assert [] == client.get("/webhooks/executions").json()["executions"]
