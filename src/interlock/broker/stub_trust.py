"""Whether a stub served from a broker's pact can be trusted: was that pact's content verified
by the provider version deployed in an environment (or, with no environment named, by any
provider version)? The broker's matrix answers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from interlock.broker.client import BrokerClient
from interlock.broker.links import segment


@dataclass(frozen=True)
class PactTrust:
    """The trust verdict of one pact: `provider_version` is the version whose result counts
    (the one deployed in `environment`, or the latest that verified it), None when there is
    none; `verified` is True only for a successful result of that version."""

    consumer: str
    consumer_version: str
    provider: str
    sha: str
    verified: bool
    provider_version: str | None
    environment: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "provider_version": self.provider_version,
            "environment": self.environment,
            "consumer": self.consumer,
            "consumer_version": self.consumer_version,
            "provider": self.provider,
            "pact_sha": self.sha,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class BrokerStubPact:
    """The latest pact between a consumer and a provider, as a stub serves it, and its trust."""

    document: dict[str, Any]
    url: str
    trust: PactTrust


def fetch_stub_pact(
    broker_url: str,
    consumer: str,
    provider: str,
    environment: str | None = None,
    token: str | None = None,
) -> BrokerStubPact:
    """The latest pact `consumer` published for `provider`, with its trust in `environment`."""
    with BrokerClient(broker_url, token) as client:
        path = f"/pacts/provider/{segment(provider)}/consumer/{segment(consumer)}/latest"
        document: dict[str, Any] = client.get(path)
        links = document.pop("_links", {})
        consumer_version = str(links.get("pb:consumer-version", {}).get("title", ""))
        sha = str(links.get("pb:pact-version", {}).get("title", ""))
        trust = pact_trust(client, consumer, consumer_version, provider, sha, environment)
        url = str(links.get("self", {}).get("href", client.url + path))
    return BrokerStubPact(document, url, trust)


def pact_trust(
    client: BrokerClient,
    consumer: str,
    consumer_version: str,
    provider: str,
    sha: str,
    environment: str | None,
) -> PactTrust:
    """Ask the matrix whether the provider (in `environment`) verified content `sha`."""
    query = [("q[][pacticipant]", consumer), ("q[][version]", consumer_version)]
    query += (
        [("latestby", "cvpv"), ("environment", environment)]
        if environment
        else [("latestby", "cvp")]
    )
    rows = client.get(f"/matrix?{urlencode(query)}")["matrix"]
    mine = [
        row
        for row in rows
        if row["consumer"]["name"] == consumer
        and row["provider"]["name"] == provider
        and row["pact"]["_links"]["self"]["href"].endswith(f"/pact-version/{sha}")
    ]
    found = [row for row in mine if row["provider"]["version"] is not None]
    verified = [row for row in found if (row.get("verificationResult") or {}).get("success")]
    row = (verified or found or [None])[0]
    version = None if row is None else str(row["provider"]["version"]["number"])
    where = f" in {environment}" if environment else ""
    if verified:
        reason = f"verified by {provider} {version}{where}"
    elif row is not None and row.get("verificationResult"):
        reason = f"verification failed by {provider} {version}{where}"
    elif row is not None:
        reason = f"{provider} {version}{where} never verified this pact"
    elif environment:
        reason = f"no version of {provider} is deployed in {environment}"
    else:
        reason = f"no version of {provider} verified this pact"
    return PactTrust(
        consumer, consumer_version, provider, sha, bool(verified), version, environment, reason
    )
