"""The broker's URLs, built from its base URL (e.g. `http://127.0.0.1:7878/broker`).

Every link in every response is absolute and starts with the base, so that clients given a
base URL with a path (`--broker-base-url http://host:7878/broker`) stay under it.
"""

from __future__ import annotations

from urllib.parse import quote

BASE_PATH = "/broker"
"""Where `interlock server` serves the Pact Broker API."""


def segment(value: str) -> str:
    """One path segment, escaped (names may hold spaces and slashes)."""
    return quote(value, safe="")


def pacticipant_url(base: str, name: str) -> str:
    """The pacticipant resource."""
    return f"{base}/pacticipants/{segment(name)}"


def version_url(base: str, pacticipant: str, number: str) -> str:
    """One pacticipant version."""
    return f"{pacticipant_url(base, pacticipant)}/versions/{segment(number)}"


def pact_version_url(base: str, provider: str, consumer: str, sha: str) -> str:
    """A pact by its content (the "pact version")."""
    return (
        f"{base}/pacts/provider/{segment(provider)}/consumer/{segment(consumer)}/pact-version/{sha}"
    )


def pact_url(base: str, provider: str, consumer: str, number: str) -> str:
    """The pact one consumer version published for a provider."""
    return (
        f"{base}/pacts/provider/{segment(provider)}/consumer/{segment(consumer)}"
        f"/version/{segment(number)}"
    )


def verification_results_url(base: str, provider: str, consumer: str, sha: str) -> str:
    """Where verification results of a pact content are POSTed."""
    return f"{pact_version_url(base, provider, consumer, sha)}/verification-results"


def environment_url(base: str, uuid: str) -> str:
    """One environment."""
    return f"{base}/environments/{uuid}"
