"""Stub routes from Pact files: the provider side of each HTTP interaction.

Requests are matched by the contracts' matching engine; responses get their generators applied.
"""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path
from typing import Any

from interlock.contracts import (
    Body,
    GeneratorContext,
    HttpRequest,
    Interaction,
    Pact,
    RequestMatcher,
    generate_response,
    load_pact,
)
from interlock.stubs.stub_routes import ReplyContext, StubReply, StubRequest, StubRoute, header_list

NEXT_STATE_KEY = "interlockNextState"
"""An interaction key (kept by the Pact reader) naming the provider state the stub moves to."""


def request_body(raw: bytes, content_type: str | None) -> Body:
    """A contracts `Body` for bytes received: JSON parsed, text decoded, else bytes."""
    if not raw:
        return Body(present=False, content_type=content_type)
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if "json" in mime or not mime:
        try:
            return Body(True, json.loads(raw), content_type or "application/json")
        except ValueError:
            pass
    if not mime or mime.startswith("text/") or mime.endswith("xml") or "form" in mime:
        return Body(True, raw.decode("utf-8", errors="replace"), content_type)
    return Body(True, raw, content_type)


def body_to_bytes(body: Body) -> bytes:
    """A contracts `Body` as bytes on the wire."""
    content = body.content
    if not body.present or content is None:
        return b""
    if isinstance(content, bytes):
        return content
    if isinstance(body.encoded, str) and body.encoded.lower() == "base64":
        return base64.b64decode(str(content))
    mime = (body.content_type or "").lower()
    if isinstance(content, str) and "json" not in mime:
        return content.encode("utf-8")
    return json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def contract_request(request: StubRequest) -> HttpRequest:
    """The received request in the contracts model, for the matching engine (made once)."""
    made = request.cache.get("contract")
    if made is None:
        made = HttpRequest(
            method=request.method,
            path=request.path,
            query=request.query,
            headers=dict(request.headers),
            body=request_body(request.body, request.headers.get("content-type")),
        )
        request.cache["contract"] = made
    return made


class PactRoute(StubRoute):
    """One HTTP interaction of a pact, served from its provider side."""

    def __init__(self, pact: Pact, interaction: Interaction, source: str, index: int) -> None:
        assert interaction.request is not None and interaction.response is not None
        self.interaction = interaction
        self.expected = interaction.request
        self.response = interaction.response
        self.matcher = RequestMatcher(interaction.request, pact.spec_version)
        self.service = pact.provider
        self.source = source
        self.id = f"{Path(source).stem}#{index}"
        self.description = interaction.description
        self.method = interaction.request.method.upper()
        has_path_rule = bool(self.matcher.path_rule and self.matcher.path_rule.matchers)
        self.path = None if has_path_rule else interaction.request.path
        self.provider_states = tuple(state.name for state in interaction.provider_states)
        self.state_params: dict[str, Any] = {}
        for state in interaction.provider_states:
            self.state_params.update(state.params)
        next_state = interaction.extra.get(NEXT_STATE_KEY)
        self.next_provider_state = str(next_state) if next_state else None
        request = interaction.request
        self.specificity = (
            (0 if has_path_rule else 10)
            + len(request.query or {})
            + len(request.headers or {})
            + (3 if request.body.present else 0)
        )
        status = self.response.status or 200
        self.static = None
        if not self.response.generators:
            self.static = self._build(self.response.headers, self.response.body, status)
        # Only method and path asked (both settled by the index): a request without a query matches
        self._path_only = (
            self.path is not None
            and not self.matcher.raw_query
            and not request.query
            and not request.headers
            and not request.body.present
        )

    def path_pattern(self) -> str:
        return f"~{self.expected.path}"

    def mismatches(self, request: StubRequest) -> list[str]:
        return [str(m) for m in self.matcher.match(contract_request(request))]

    def matches(self, request: StubRequest) -> bool:
        if self._path_only and not request.query_text and request.method == self.method:
            return request.path == self.path
        return self.matcher.matches(contract_request(request))

    def reply(self, request: StubRequest, context: ReplyContext) -> StubReply:
        if self.static is not None:
            return self.static
        params = dict(self.state_params)
        params.update(context.state_params)
        generated = generate_response(
            self.response,
            GeneratorContext(
                provider_state=params,
                mock_server_url=context.base_url,
                rng=random.Random(context.seed * 1_000_003 + context.sequence),
            ),
        )
        return self._build(generated.headers, generated.body, generated.status or 200)

    @staticmethod
    def _build(headers: Any, body: Body, status: int) -> StubReply:
        pairs = header_list(headers)
        data = body_to_bytes(body)
        if data and not any(name == "content-type" for name, _ in pairs):
            content_type = body.content_type or (
                "application/octet-stream" if isinstance(body.content, bytes) else None
            )
            if content_type is None:
                content_type = "text/plain" if isinstance(body.content, str) else "application/json"
            pairs.append(("content-type", content_type))
        return StubReply(status, tuple(pairs), data)


def pact_routes(path: Path) -> tuple[str, list[StubRoute]]:
    """The provider's name and one route per HTTP interaction of the pact file."""
    return pact_routes_of(load_pact(path), str(path))


def pact_routes_of(pact: Pact, source: str) -> tuple[str, list[StubRoute]]:
    """The provider's name and one route per HTTP interaction of a pact read from `source`."""
    routes: list[StubRoute] = []
    for index, interaction in enumerate(pact.interactions):
        if interaction.request is None or interaction.response is None:
            continue
        routes.append(PactRoute(pact, interaction, source, index))
    return pact.provider, routes
