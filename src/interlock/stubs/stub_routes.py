"""What a stub answers with: one request as received, one canned reply, and routes that match.

Every source (Pact, OpenAPI, WireMock, recordings) becomes `StubRoute`s indexed by method and path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs

from interlock.stubs.http_server import response_head


@dataclass
class StubRequest:
    """One HTTP request as the stub received it; headers by lower-case name."""

    method: str
    path: str
    query_text: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    _query: dict[str, list[str]] | None = None
    _json: Any = None
    _json_read: bool = False
    cache: dict[str, Any] = field(default_factory=dict)
    """Per-request values a route computes once for every candidate (the contracts request)."""

    @property
    def query(self) -> dict[str, list[str]]:
        """Query parameters by name (blank values kept)."""
        if self._query is None:
            self._query = parse_qs(self.query_text, keep_blank_values=True)
        return self._query

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON."""
        if not self._json_read:
            self._json_read = True
            try:
                self._json = json.loads(self.body) if self.body else None
            except ValueError:
                self._json = None
        return self._json

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query_text}" if self.query_text else self.path


@dataclass(frozen=True)
class StubReply:
    """A response to send: status, headers, body bytes, and a delay asked by the source."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    delay_ms: int = 0

    @staticmethod
    def json(status: int, data: Any) -> StubReply:
        body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
        return StubReply(status, (("content-type", "application/json"),), body)

    @cached_property
    def wire_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers as ASGI sends them, with the content length (encoded once per reply)."""
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers]
        headers.append((b"content-length", str(len(self.body)).encode()))
        return headers

    @cached_property
    def wire(self) -> bytes:
        """The whole HTTP/1.1 response, encoded once: a static stub answers with these bytes."""
        return response_head(self.status, self.wire_headers) + self.body


@dataclass(frozen=True)
class ScenarioStep:
    """A route that only answers in scenario state `required` and may move it to `next`."""

    name: str
    required: str | None = None
    next: str | None = None


class StubRoute:
    """One canned interaction. Subclasses say how a request matches and what to answer.

    `path` is set for routes that match one exact path (indexed); `None` means a pattern.
    `specificity` ranks routes that all match: the highest wins, `priority` (lower first) before it.
    """

    id: str = ""
    service: str = ""
    source: str = ""
    description: str = ""
    method: str | None = None
    path: str | None = None
    priority: int = 5
    specificity: int = 0
    scenario: ScenarioStep | None = None
    provider_states: tuple[str, ...] = ()
    next_provider_state: str | None = None

    static: StubReply | None = None
    """The reply when it is the same for every request (sent without building a context)."""

    def mismatches(self, request: StubRequest) -> list[str]:
        """Why the request does not match (empty when it does)."""
        raise NotImplementedError

    def matches(self, request: StubRequest) -> bool:
        """Whether the request matches; routes override it to skip explaining the losers."""
        return not self.mismatches(request)

    def reply(self, request: StubRequest, context: ReplyContext) -> StubReply:
        """The response for a request that matched."""
        raise NotImplementedError

    def summary(self) -> dict[str, Any]:
        """The route as the admin API lists it."""
        out: dict[str, Any] = {
            "id": self.id,
            "service": self.service,
            "source": self.source,
            "description": self.description,
            "method": self.method or "ANY",
            "path": self.path or self.path_pattern(),
            "priority": self.priority,
        }
        if self.provider_states:
            out["provider_states"] = list(self.provider_states)
        if self.scenario is not None:
            out["scenario"] = {
                "name": self.scenario.name,
                "required_state": self.scenario.required,
                "new_state": self.scenario.next,
            }
        return out

    def path_pattern(self) -> str:
        return "*"


@dataclass(frozen=True)
class ReplyContext:
    """What a reply may draw on: the stub's base URL, provider-state parameters, a seed."""

    base_url: str
    provider_state: str | None = None
    state_params: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0
    sequence: int = 0


def header_list(headers: Mapping[str, str | list[str]] | None) -> list[tuple[str, str]]:
    """Headers as name/value pairs, list values joined with commas."""
    out: list[tuple[str, str]] = []
    for name, value in (headers or {}).items():
        out.append((name.lower(), ", ".join(value) if isinstance(value, list) else str(value)))
    return out
