"""Stubs served from a contract broker's pacts, each carrying whether its pact can be trusted:
verified by the provider version deployed in a chosen environment (the broker's matrix says).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from interlock.contracts import parse_pact
from interlock.errors import UserInputError
from interlock.stubs.pact_routes import pact_routes_of
from interlock.stubs.stub_service import StubService


@dataclass(frozen=True)
class BrokerSource:
    """The latest pact `consumer` published for `provider` in the broker at `url`, served as
    the service `name` (default: the provider); its trust is judged in `environment` (None:
    by any provider version)."""

    url: str
    consumer: str
    provider: str
    environment: str | None = None
    token: str | None = None
    name: str | None = None

    @property
    def service(self) -> str:
        return self.name or self.provider


def broker_sources(
    url: str | None,
    consumer: str | None,
    providers: Sequence[str],
    environment: str | None = None,
    token: str | None = None,
) -> list[BrokerSource]:
    """The sources the `--broker` flags name (`--provider [NAME=]PROVIDER`, repeatable);
    none without --broker."""
    if url is None:
        given = [
            ("--consumer", consumer),
            ("--provider", providers),
            ("--environment", environment),
        ]
        for flag, value in given:
            if value:
                raise UserInputError(f"{flag}: only with --broker URL")
        return []
    if not consumer:
        raise UserInputError("--consumer: required with --broker (the pacts' consumer)")
    if not providers:
        raise UserInputError("--provider: required with --broker (the pact's provider)")
    found = []
    for text in providers:
        name, sep, provider = text.partition("=")
        if not (provider if sep else name):
            raise UserInputError(f"--provider {text!r}: expected PROVIDER or NAME=PROVIDER")
        found.append(
            BrokerSource(url, consumer, provider or name, environment, token, name if sep else None)
        )
    return found


def load_broker_service(source: BrokerSource) -> StubService:
    """One stubbed service from the broker's pact, with its trust verdict."""
    from interlock.broker import fetch_stub_pact  # the broker's server parts load only here

    fetched = fetch_stub_pact(
        source.url, source.consumer, source.provider, source.environment, source.token
    )
    pact = parse_pact(fetched.document, fetched.url)
    _, routes = pact_routes_of(pact, fetched.url)
    service = StubService(source.service)
    for route in routes:
        route.service = service.name
        service.add(route)
    service.trust = fetched.trust.to_json()
    return service


def trust_line(trust: dict[str, Any]) -> str:
    """A stub's trust verdict in a few words, e.g. `trusted: verified by inventory 1.0.0 in
    production`."""
    verdict = "trusted" if trust.get("verified") else "not trusted"
    return f"{verdict}: {trust.get('reason') or 'no verification known'}"
