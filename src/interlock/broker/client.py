"""A small client of any Pact Broker API (Interlock's own or another): publish contracts,
record deployments, ask can-i-deploy, fetch pacts for verification, publish results.

Errors of the broker or the network are `UserInputError`s naming the broker URL.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from interlock.broker.links import segment
from interlock.errors import UserInputError

TIMEOUT_S = 30.0


@dataclass(frozen=True)
class BrokerPact:
    """A pact to verify, as the broker chose it: its document and where its result goes."""

    document: dict[str, Any]
    publish_url: str
    pending: bool
    description: str
    consumer_version: str = ""


class BrokerClient:
    """Talks HAL+JSON to the broker at `url` (its base URL, e.g. http://host:7878/broker)."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        headers = {"Accept": "application/hal+json, application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(headers=headers, timeout=TIMEOUT_S)

    def __enter__(self) -> BrokerClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._http.close()

    def _send(self, method: str, url: str, body: Any = None) -> Any:
        target = url if url.startswith(("http://", "https://")) else self.url + url
        try:
            reply = self._http.request(method, target, json=body)
        except httpx.HTTPError as error:
            raise UserInputError(f"broker {self.url}: cannot reach it: {error}") from None
        if reply.status_code >= 400:
            try:
                message = reply.json().get("error") or reply.text
            except ValueError:
                message = reply.text[:200]
            raise UserInputError(
                f"broker {self.url}: {method} {target} answered {reply.status_code}: {message}"
            )
        return reply.json() if reply.content else None

    def get(self, url: str) -> Any:
        """A resource of the broker (a path under its base URL, or an absolute link)."""
        return self._send("GET", url)

    def publish(
        self,
        files: list[Path],
        version: str,
        branch: str | None = None,
        tags: tuple[str, ...] = (),
        build_url: str | None = None,
    ) -> list[dict[str, Any]]:
        """Publish pact files (`*.json`) and database contracts (`*.dbcontract.yaml`), grouped
        by consumer; returns the broker's answers."""
        by_consumer: dict[str, list[dict[str, Any]]] = {}
        for path in files:
            text = path.read_text(encoding="utf-8")
            consumer, provider, specification = _parties(path, text)
            by_consumer.setdefault(consumer, []).append(
                {
                    "consumerName": consumer,
                    "providerName": provider,
                    "specification": specification,
                    "contentType": "application/json"
                    if specification == "pact"
                    else "application/yaml",
                    "content": base64.b64encode(text.encode()).decode(),
                }
            )
        answers = []
        for consumer, contracts in by_consumer.items():
            body: dict[str, Any] = {
                "pacticipantName": consumer,
                "pacticipantVersionNumber": version,
                "tags": list(tags),
                "contracts": contracts,
            }
            if branch:
                body["branch"] = branch
            if build_url:
                body["buildUrl"] = build_url
            answers.append(self._send("POST", "/contracts/publish", body))
        return answers

    def can_i_deploy(
        self, pacticipant: str, version: str | None, environment: str
    ) -> dict[str, Any]:
        """The matrix answer for `pacticipant` `version` (latest when None) to `environment`."""
        query: list[tuple[str, str]] = [("q[][pacticipant]", pacticipant)]
        query.append(("q[][version]", version) if version else ("q[][latest]", "true"))
        query += [("latestby", "cvpv"), ("environment", environment)]
        answer: dict[str, Any] = self._send("GET", f"/matrix?{urlencode(query)}")
        return answer

    def create_environment(self, name: str, production: bool = False) -> dict[str, Any]:
        """Create an environment."""
        answer: dict[str, Any] = self._send(
            "POST", "/environments", {"name": name, "production": production}
        )
        return answer

    def record_deployment(
        self, pacticipant: str, version: str, environment: str, instance: str | None = None
    ) -> dict[str, Any]:
        """Record that `version` of `pacticipant` now runs in `environment`."""
        described = self._send(
            "GET", f"/pacticipants/{segment(pacticipant)}/versions/{segment(version)}"
        )
        links = described["_links"].get("pb:record-deployment") or []
        link = next((link for link in links if link.get("name") == environment), None)
        if link is None:
            raise UserInputError(f"broker {self.url}: no environment named {environment!r}")
        body = {"applicationInstance": instance} if instance else {}
        answer: dict[str, Any] = self._send("POST", link["href"], body)
        return answer

    def pacts_for_verification(
        self,
        provider: str,
        selectors: list[dict[str, Any]] | None = None,
        provider_branch: str | None = None,
        include_pending: bool = True,
        wip_since: str | None = None,
    ) -> list[BrokerPact]:
        """The pacts the broker says `provider` must verify, each with its result link."""
        body: dict[str, Any] = {"includePendingStatus": include_pending}
        if selectors:
            body["consumerVersionSelectors"] = selectors
        if provider_branch:
            body["providerVersionBranch"] = provider_branch
        if wip_since:
            body["includeWipPactsSince"] = wip_since
        found = self._send("POST", f"/pacts/provider/{segment(provider)}/for-verification", body)
        pacts = []
        for entry in found["_embedded"]["pacts"]:
            document = self._send("GET", entry["_links"]["self"]["href"])
            links = document.pop("_links", {})
            pacts.append(
                BrokerPact(
                    document,
                    links["pb:publish-verification-results"]["href"],
                    bool(entry["verificationProperties"].get("pending")),
                    entry.get("shortDescription", ""),
                )
            )
        return pacts

    def published_contracts(self, consumer: str, version: str) -> list[BrokerPact]:
        """Every contract (pacts and database contracts) `consumer` `version` published, each
        with its result link: what a database owner verifies, which for-verification omits."""
        query = urlencode([("q[][pacticipant]", consumer), ("q[][version]", version)])
        rows = self._send("GET", f"/matrix?{query}")["matrix"]
        found: dict[str, BrokerPact] = {}
        for row in rows:
            if row["consumer"]["name"] != consumer:
                continue
            url = row["pact"]["_links"]["self"]["href"]
            if url not in found:
                document = self._send("GET", url)
                links = document.pop("_links", {})
                found[url] = BrokerPact(
                    document,
                    links["pb:publish-verification-results"]["href"],
                    False,
                    f"{row['pact']['specification']} with {row['provider']['name']}",
                )
        return list(found.values())

    def latest_contracts(self, provider: str, specification: str) -> list[BrokerPact]:
        """The latest contract of `specification` ("pact" or "database") that each consumer of
        `provider` published, each with its result link (an Interlock broker extension)."""
        query = urlencode({"specification": specification})
        listing = self._send("GET", f"/pacts/provider/{segment(provider)}/latest?{query}")
        found = []
        for entry in listing["_links"].get("pb:pacts") or []:
            document = self._send("GET", entry["href"])
            links = document.pop("_links", {})
            found.append(
                BrokerPact(
                    document,
                    links["pb:publish-verification-results"]["href"],
                    False,
                    f"{specification} with {provider}",
                    links.get("pb:consumer-version", {}).get("title", ""),
                )
            )
        return found

    def publish_result(
        self,
        pact: BrokerPact,
        provider: str,
        version: str,
        success: bool,
        branch: str | None = None,
        test_results: list[dict[str, Any]] | None = None,
    ) -> None:
        """Publish a verification result (putting the provider version on its branch first)."""
        if branch:
            self._send(
                "PUT",
                f"/pacticipants/{segment(provider)}/branches/{segment(branch)}"
                f"/versions/{segment(version)}",
                {},
            )
        body = {
            "success": success,
            "providerApplicationVersion": version,
            "verifiedBy": {"implementation": "Interlock"},
            "testResults": test_results or [],
        }
        self._send("POST", pact.publish_url, body)


def _parties(path: Path, text: str) -> tuple[str, str, str]:
    """(consumer, provider, specification) of a contract file."""
    import json

    import yaml

    try:
        if path.name.endswith((".yaml", ".yml")):
            data = yaml.safe_load(text)
            return str(data["consumer"]), str(data["database"]), "database"
        data = json.loads(text)
        return str(data["consumer"]["name"]), str(data["provider"]["name"]), "pact"
    except (ValueError, yaml.YAMLError, KeyError, TypeError) as error:
        raise UserInputError(
            f"{path}: expected a pact (consumer.name, provider.name) or a database contract "
            f"(consumer, database): {error}"
        ) from None
