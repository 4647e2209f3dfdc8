"""The stub server's admin API (JSON), under `/__admin` on every stub port or on `--admin-port`.

Services and stubs, the journal and unmatched requests, states, reset, runtime stubs, faults.
"""

from __future__ import annotations

import json
from typing import Any

from interlock.contracts import Interaction, Pact, parse_request, parse_response
from interlock.errors import UserInputError
from interlock.stubs.http_faults import parse_fault
from interlock.stubs.pact_routes import PactRoute
from interlock.stubs.stub_app import ADMIN_PREFIX, StubHost
from interlock.stubs.stub_routes import StubReply, StubRequest
from interlock.stubs.stub_service import StubService
from interlock.stubs.wiremock_routes import WireMockRoute


def _error(status: int, message: str) -> StubReply:
    return StubReply.json(status, {"error": message})


def handle_admin(host: StubHost, request: StubRequest) -> StubReply:
    """Answer one admin request; bad input is a 400 naming the field."""
    path = request.path
    if path.startswith(ADMIN_PREFIX):
        path = path[len(ADMIN_PREFIX) :]
    parts = [p for p in path.split("/") if p]
    try:
        body = json.loads(request.body) if request.body else None
    except ValueError as error:
        return _error(400, f"the body is not JSON: {error}")
    try:
        return _dispatch(host, request.method, parts, body, request)
    except UserInputError as error:
        return _error(400, str(error))


def _service(host: StubHost, name: str) -> StubService:
    service = host.services.get(name)
    if service is None:
        raise KeyError(name)
    return service


def _dispatch(
    host: StubHost, method: str, parts: list[str], body: Any, request: StubRequest
) -> StubReply:
    if parts in ([], ["services"]) and method == "GET":
        services = [dict(s.summary(), url=host.urls.get(s.name)) for s in host.services.values()]
        return StubReply.json(200, {"services": services})
    if parts == ["stubs"] and method == "GET":
        wanted = request.query.get("service", [None])[0]
        stubs = [
            route.summary()
            for service in host.services.values()
            if wanted in (None, service.name)
            for route in service.routes
        ]
        return StubReply.json(200, {"stubs": stubs})
    if parts == ["stubs"] and method == "POST":
        return _add_stub(host, body)
    if parts == ["journal"] and method == "GET":
        return StubReply.json(200, {"requests": list(host.journal.entries)})
    if parts == ["unmatched"] and method == "GET":
        return StubReply.json(200, {"requests": list(host.journal.unmatched)})
    if parts == ["journal"] and method == "DELETE":
        host.journal.clear()
        return StubReply(204)
    if parts == ["reset"] and method == "POST":
        host.reset()
        return StubReply(204)
    if len(parts) >= 3 and parts[0] == "services":
        try:
            service = _service(host, parts[1])
        except KeyError:
            return _error(404, f"no service named {parts[1]!r}")
        return _service_part(service, method, parts[2:], body)
    return _error(404, f"no admin route {method} {ADMIN_PREFIX}/{'/'.join(parts)}")


def _state_of(body: Any) -> str | None:
    if not isinstance(body, dict) or "state" not in body:
        raise UserInputError('expected {"state": "<name>"} (null to clear)')
    state = body["state"]
    if state is not None and not isinstance(state, str):
        raise UserInputError("$.state: expected a string or null")
    return state


def _service_part(service: StubService, method: str, rest: list[str], body: Any) -> StubReply:
    if rest == ["state"] and method in ("PUT", "POST"):
        service.provider_state = _state_of(body)
        return StubReply.json(200, service.summary())
    if len(rest) == 2 and rest[0] == "scenarios" and method in ("PUT", "POST"):
        state = _state_of(body)
        if rest[1] not in service.scenarios:
            return _error(404, f"no scenario named {rest[1]!r} in {service.name}")
        service.scenarios[rest[1]] = state or "Started"
        return StubReply.json(200, service.summary())
    if rest == ["faults"] and method == "GET":
        return StubReply.json(200, {"faults": [f.to_json() for f in service.faults]})
    if rest == ["faults"] and method == "POST":
        fault = parse_fault(body, "$")
        service.faults = [f for f in service.faults if f.name != fault.name] + [fault]
        return StubReply.json(201, fault.to_json())
    if rest == ["faults"] and method == "DELETE":
        service.faults = []
        return StubReply(204)
    if len(rest) == 2 and rest[0] == "faults" and method == "DELETE":
        before = len(service.faults)
        service.faults = [f for f in service.faults if f.name != rest[1]]
        if before == len(service.faults):
            return _error(404, f"no fault named {rest[1]!r} on {service.name}")
        return StubReply(204)
    return _error(404, f"no admin route {method} for service {service.name}")


def _add_stub(host: StubHost, body: Any) -> StubReply:
    """`{"service": S, "wiremock": {...mapping}}` or `{"service": S, "pact": {...interaction}}`."""
    if not isinstance(body, dict) or not isinstance(body.get("service"), str):
        raise UserInputError("$.service: expected the name of a service (a string)")
    name = body["service"]
    service = host.services.get(name)
    if service is None:
        service = StubService(name)
        host.services[name] = service
    index = len(service.routes)
    if isinstance(body.get("wiremock"), dict):
        route: WireMockRoute | PactRoute = WireMockRoute(body["wiremock"], name, "admin", index)
    elif isinstance(body.get("pact"), dict):
        item = body["pact"]
        interaction = Interaction(
            description=str(item.get("description", "added at runtime")),
            request=parse_request(item.get("request", {}), 4, "admin", "$.pact.request"),
            response=parse_response(item.get("response", {}), 4, "admin", "$.pact.response"),
        )
        pact = Pact(consumer="admin", provider=name, interactions=(interaction,))
        route = PactRoute(pact, interaction, "admin", index)
    else:
        raise UserInputError('expected "wiremock" (a stub mapping) or "pact" (an interaction)')
    route.id = f"admin#{index}"
    service.add(route)
    return StubReply.json(201, route.summary())
