"""Reading stub sources: Pact files and recordings, OpenAPI documents, WireMock mappings.

A SOURCE is a file or a directory, optionally prefixed `name=` to name the service it stubs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from interlock.contracts import read_document_file
from interlock.errors import Position, SourceError, UserInputError
from interlock.stubs.broker_source import BrokerSource, load_broker_service
from interlock.stubs.openapi_routes import openapi_routes
from interlock.stubs.pact_routes import pact_routes
from interlock.stubs.stub_routes import StubRoute
from interlock.stubs.stub_service import StubService
from interlock.stubs.wiremock_routes import wiremock_routes

_SUFFIXES = (".json", ".yaml", ".yml")


def source_kind(data: Any) -> str:
    """pact, openapi or wiremock, from a file's top-level keys."""
    if isinstance(data, dict):
        if "openapi" in data or "swagger" in data:
            return "openapi"
        if "interactions" in data or ("consumer" in data and "provider" in data):
            return "pact"
        if "mappings" in data or "request" in data:
            return "wiremock"
    return "unknown"


def routes_from_file(path: Path, name: str | None, seed: int) -> tuple[str, list[StubRoute]]:
    """The service a file stubs and its routes."""
    data = read_document_file(path)
    kind = source_kind(data)
    if kind == "pact":
        provider, routes = pact_routes(path)
        return name or provider, routes
    if kind == "openapi":
        title, routes = openapi_routes(data, str(path), seed)
        return name or title, routes
    if kind == "wiremock":
        service = name or (path.parent.parent.name if path.parent.name == "mappings" else path.stem)
        return service, wiremock_routes(data, service, str(path))
    raise SourceError(
        str(path),
        Position(path="$"),
        "expected a Pact file (`interactions`), an OpenAPI document (`openapi`) "
        "or WireMock mappings (`request` or `mappings`)",
    )


def load_services(
    sources: list[str], seed: int = 0, brokers: Sequence[BrokerSource] = ()
) -> list[StubService]:
    """One service per provider/title/name, from every file of every SOURCE, and one per
    broker pact (with its trust verdict)."""
    services: dict[str, StubService] = {}
    for broker in brokers:
        if broker.service in services:
            raise UserInputError(f"--provider {broker.service}: given twice")
        services[broker.service] = load_broker_service(broker)
    from_broker = set(services)
    for source in sources:
        name, sep, rest = source.partition("=")
        named = name if sep and not Path(source).exists() else None
        path = Path(rest if named else source)
        if not path.exists():
            raise UserInputError(f"{path}: no such file or directory")
        files = (
            sorted(p for p in path.rglob("*") if p.suffix in _SUFFIXES) if path.is_dir() else [path]
        )
        for file in files:
            service_name, routes = routes_from_file(file, named, seed)
            if service_name in from_broker:
                raise UserInputError(
                    f"{file}: stubs {service_name}, which --broker already serves from its pact"
                )
            service = services.setdefault(service_name, StubService(service_name))
            for route in routes:
                route.service = service_name
                service.add(route)
    if not services:
        raise UserInputError(
            f"no stub sources found in {', '.join(sources)}"
            if sources
            else "SOURCES: give stub sources, or --broker URL with --consumer and --provider"
        )
    return list(services.values())
