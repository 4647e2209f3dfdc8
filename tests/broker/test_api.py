"""The Pact Broker API of `interlock server`, driven over HTTP in its documented shapes."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

pytestmark = pytest.mark.server


def _publish(
    client: httpx.Client,
    consumer: str,
    version: str,
    pacts: list[dict[str, Any]],
    branch: str | None = "main",
    tags: list[str] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "pacticipantName": consumer,
        "pacticipantVersionNumber": version,
        "branch": branch,
        "tags": tags or [],
        "buildUrl": f"https://ci.example/{version}",
        "contracts": [
            {
                "consumerName": consumer,
                "providerName": pact["provider"]["name"],
                "specification": "pact",
                "contentType": "application/json",
                "content": base64.b64encode(json.dumps(pact).encode()).decode(),
            }
            for pact in pacts
        ],
    }
    reply = client.post("/contracts/publish", json=body)
    assert 200 == reply.status_code, reply.text
    answer: dict[str, Any] = reply.json()
    return answer


def _verify(client: httpx.Client, pact: dict[str, Any], version: str, success: bool) -> None:
    url = pact["_links"]["pb:publish-verification-results"]["href"]
    reply = client.post(url, json={"success": success, "providerApplicationVersion": version})
    assert 201 == reply.status_code, reply.text


def _deploy(client: httpx.Client, pacticipant: str, version: str, environment: str) -> None:
    described = client.get(f"/pacticipants/{pacticipant}/versions/{version}").json()
    link = next(
        link for link in described["_links"]["pb:record-deployment"] if link["name"] == environment
    )
    assert 201 == client.post(link["href"], json={}).status_code


def test_index_names_its_base_url_and_the_relations_clients_navigate(
    broker: Any,
) -> None:
    """The HAL index sits at /broker and every link stays under it."""
    with broker.client() as client:
        reply = client.get("")
    assert 200 == reply.status_code
    assert reply.headers["content-type"].startswith("application/hal+json")
    links = reply.json()["_links"]
    for rel in (
        "pb:publish-pact",
        "pb:publish-contracts",
        "pb:pacticipants",
        "pb:environments",
        "pb:provider-pacts-for-verification",
        "pb:latest-version",
        "pb:pacticipant-version",
    ):
        assert links[rel]["href"].startswith(broker.url + "/"), rel
    assert broker.url == reply.json()["interlock"]["brokerBaseUrl"]


def test_published_pact_is_read_back_without_losing_a_field(
    broker: Any, make_pact: Callable[..., dict[str, Any]]
) -> None:
    document = make_pact("web", "orders")
    document["interactions"][0]["comments"] = {"text": ["kept"]}
    document["metadata"]["extra"] = {"anything": [1, 2.5, None, True]}
    with broker.client() as client:
        put = client.put(
            "/pacts/provider/orders/consumer/web/version/1.0.0", content=json.dumps(document)
        )
        assert 200 == put.status_code, put.text
        by_version = client.get("/pacts/provider/orders/consumer/web/version/1.0.0").json()
        latest = client.get("/pacts/provider/orders/consumer/web/latest").json()
    links = by_version.pop("_links")
    latest.pop("_links")
    assert document == by_version
    assert document == latest
    assert links["pb:publish-verification-results"]["href"].startswith(broker.url)


def test_unchanged_pact_is_one_content_and_its_verification_counts_for_every_version(
    broker: Any, make_pact: Callable[..., dict[str, Any]]
) -> None:
    """Two consumer versions publish the same pact; one verification makes both deployable."""
    with broker.client() as client:
        _publish(client, "web", "1.0.0", [make_pact("web", "orders")])
        _publish(client, "web", "1.0.1", [make_pact("web", "orders")])
        first = client.get("/pacts/provider/orders/consumer/web/version/1.0.0").json()
        second = client.get("/pacts/provider/orders/consumer/web/version/1.0.1").json()
        assert first["_links"]["pb:pact-version"] == second["_links"]["pb:pact-version"]
        _verify(client, first, "2.0.0", True)
        # in order: each q[][version] belongs to the q[][pacticipant] before it
        query = [
            ("q[][pacticipant]", "web"),
            ("q[][version]", "1.0.1"),
            ("q[][pacticipant]", "orders"),
            ("q[][version]", "2.0.0"),
            ("latestby", "cvpv"),
        ]
        matrix = client.get(f"/matrix?{urlencode(query)}").json()
    assert True is matrix["summary"]["deployable"]
    assert [("1.0.1", "2.0.0", True)] == [
        (
            row["consumer"]["version"]["number"],
            row["provider"]["version"]["number"],
            row["verificationResult"]["success"],
        )
        for row in matrix["matrix"]
    ]


def test_publish_contracts_records_branch_tags_and_build_url(
    broker: Any, make_pact: Callable[..., dict[str, Any]]
) -> None:
    with broker.client() as client:
        answer = _publish(client, "web", "1.2.0", [make_pact("web", "orders")], "feat-x", ["rc"])
        version = client.get("/pacticipants/web/versions/1.2.0").json()
    assert 1 == len(answer["_links"]["pb:contracts"])
    assert ["feat-x"] == [b["name"] for b in version["_embedded"]["branchVersions"]]
    assert ["rc"] == [t["name"] for t in version["_embedded"]["tags"]]
    assert "https://ci.example/1.2.0" == version["buildUrl"]


def test_publish_with_bad_content_names_the_field(broker: Any) -> None:
    body = {
        "pacticipantName": "web",
        "pacticipantVersionNumber": "1",
        "contracts": [{"providerName": "orders", "content": "%%%"}],
    }
    with broker.client() as client:
        reply = client.post("/contracts/publish", json=body)
    assert 400 == reply.status_code
    assert "body.contracts[0].content" in reply.json()["error"]


def test_can_i_deploy_follows_deployments_and_verifications(
    broker: Any, make_pact: Callable[..., dict[str, Any]]
) -> None:
    """The consumer may go to production only once a deployed provider verified its pact."""
    with broker.client() as client:
        assert 201 == client.post("/environments", json={"name": "production"}).status_code
        _publish(client, "web", "1.0.0", [make_pact("web", "orders")])
        pact = client.get("/pacts/provider/orders/consumer/web/version/1.0.0").json()
        _verify(client, pact, "2.0.0", True)
        query = {"pacticipant": "web", "version": "1.0.0", "environment": "production"}
        before = client.get("/can-i-deploy", params=query).json()
        _deploy(client, "orders", "2.0.0", "production")
        after = client.get("/can-i-deploy", params=query).json()
        _publish(client, "web", "1.1.0", [make_pact("web", "orders", "closed")])
        changed = client.get("/can-i-deploy", params={**query, "version": "1.1.0"}).json()
        provider_next = client.get(
            "/can-i-deploy",
            params={"pacticipant": "orders", "version": "2.0.0", "environment": "production"},
        ).json()
    assert False is before["summary"]["deployable"]
    assert "a version of orders currently in production" in before["summary"]["reason"]
    assert True is after["summary"]["deployable"]
    assert False is changed["summary"]["deployable"]
    assert 1 == changed["summary"]["unknown"]
    assert True is provider_next["summary"]["deployable"]


def test_can_i_deploy_says_no_to_a_provider_that_failed_a_deployed_consumer(
    broker: Any, make_pact: Callable[..., dict[str, Any]]
) -> None:
    with broker.client() as client:
        client.post("/environments", json={"name": "production"})
        _publish(client, "web", "1.0.0", [make_pact("web", "orders")])
        pact = client.get("/pacts/provider/orders/consumer/web/version/1.0.0").json()
        _deploy(client, "web", "1.0.0", "production")
        _verify(client, pact, "3.0.0", False)
        answer = client.get(
            "/can-i-deploy",
            params={"pacticipant": "orders", "version": "3.0.0", "environment": "production"},
        ).json()
        ignored = client.get(
            "/can-i-deploy",
            params=[
                ("pacticipant", "orders"),
                ("version", "3.0.0"),
                ("environment", "production"),
                ("ignore[][pacticipant]", "web"),
            ],
        ).json()
    assert False is answer["summary"]["deployable"]
    assert "failed" in answer["summary"]["reason"]
    assert True is ignored["summary"]["deployable"]


def test_deployment_replaces_the_previous_one_and_can_be_undeployed(
    broker: Any, make_pact: Callable[..., dict[str, Any]]
) -> None:
    with broker.client() as client:
        env = client.post("/environments", json={"name": "staging", "production": False}).json()
        _publish(client, "web", "1", [make_pact("web", "orders")])
        _publish(client, "web", "2", [make_pact("web", "orders", "x")])
        _deploy(client, "web", "1", "staging")
        _deploy(client, "web", "2", "staging")
        current = client.get(
            env["_links"]["pb:currently-deployed-deployed-versions"]["href"],
            params={"pacticipant": "web"},
        ).json()["_embedded"]["deployedVersions"]
        assert ["2"] == [d["_embedded"]["version"]["number"] for d in current]
        patched = client.patch(
            current[0]["_links"]["self"]["href"], json={"currentlyDeployed": False}
        )
        after = client.get(env["_links"]["pb:currently-deployed-deployed-versions"]["href"]).json()[
            "_embedded"
        ]["deployedVersions"]
    assert False is patched.json()["currentlyDeployed"]
    assert [] == after


def test_unknown_pact_is_404_json(broker: Any) -> None:
    with broker.client() as client:
        reply = client.get("/pacts/provider/nobody/consumer/none/latest")
    assert 404 == reply.status_code
    assert "no pact" in reply.json()["error"]
