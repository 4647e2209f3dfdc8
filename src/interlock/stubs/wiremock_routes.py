"""Stub routes from WireMock stub-mapping JSON, so a team's existing mappings keep working.

Reads `request` (method, url/urlPath/urlPattern/urlPathPattern, queryParameters, headers,
bodyPatterns), `response`, `priority` and scenarios; a file is one mapping or `{"mappings": [...]}`.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

from interlock.errors import Position, SourceError
from interlock.stubs.stub_routes import (
    ReplyContext,
    ScenarioStep,
    StubReply,
    StubRequest,
    StubRoute,
)

_OPERATORS = ("equalTo", "contains", "matches", "doesNotMatch", "absent", "equalToJson")


def _check_value(name: str, pattern: dict[str, Any], value: str | None) -> str | None:
    """Why `value` fails a WireMock value pattern (None when it passes)."""
    if pattern.get("absent"):
        return None if value is None else f"{name}: expected to be absent, found {value!r}"
    if value is None:
        return f"{name}: expected {_describe(pattern)}, but it is missing"
    if pattern.get("caseInsensitive") and "equalTo" in pattern:
        ok = str(pattern["equalTo"]).lower() == value.lower()
    elif "equalTo" in pattern:
        ok = str(pattern["equalTo"]) == value
    elif "contains" in pattern:
        ok = str(pattern["contains"]) in value
    elif "matches" in pattern:
        ok = re.fullmatch(str(pattern["matches"]), value, re.DOTALL) is not None
    elif "doesNotMatch" in pattern:
        ok = re.fullmatch(str(pattern["doesNotMatch"]), value, re.DOTALL) is None
    else:
        ok = True
    return None if ok else f"{name}: expected {_describe(pattern)}, found {value!r}"


def _describe(pattern: dict[str, Any]) -> str:
    for op in _OPERATORS:
        if op in pattern:
            return f"{op} {pattern[op]!r}"
    return "a value"


def _json_contains(want: Any, got: Any, extra_ok: bool, any_order: bool) -> bool:
    if isinstance(want, dict):
        if not isinstance(got, dict) or (not extra_ok and set(got) != set(want)):
            return False
        return all(
            k in got and _json_contains(v, got[k], extra_ok, any_order) for k, v in want.items()
        )
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return False
        if any_order:
            remaining = list(got)
            for item in want:
                found = next(
                    (i for i, g in enumerate(remaining) if _json_contains(item, g, extra_ok, True)),
                    None,
                )
                if found is None:
                    return False
                remaining.pop(found)
            return True
        return all(
            _json_contains(w, g, extra_ok, any_order) for w, g in zip(want, got, strict=True)
        )
    return bool(want == got)


class WireMockRoute(StubRoute):
    """One WireMock stub mapping."""

    def __init__(self, mapping: dict[str, Any], service: str, source: str, index: int) -> None:
        where = f"$.mappings[{index}]"
        request = mapping.get("request")
        response = mapping.get("response", {})
        if not isinstance(request, dict) or not isinstance(response, dict):
            raise SourceError(
                source, Position(path=where), "expected `request` and `response` objects"
            )
        self.service = service
        self.source = source
        self.id = str(mapping.get("id") or mapping.get("uuid") or f"{Path(source).stem}#{index}")
        self.description = str(mapping.get("name") or "")
        method = str(request.get("method", "ANY")).upper()
        self.method = None if method == "ANY" else method
        self.priority = int(mapping.get("priority", 5))
        self.url: str | None = request.get("url")
        self.url_path: str | None = request.get("urlPath")
        self.url_pattern: re.Pattern[str] | None = None
        self.path_pattern_only = False
        try:
            if "urlPattern" in request:
                self.url_pattern = re.compile(str(request["urlPattern"]))
            elif "urlPathPattern" in request:
                self.url_pattern = re.compile(str(request["urlPathPattern"]))
                self.path_pattern_only = True
        except re.error as error:
            raise SourceError(
                source, Position(path=f"{where}.request"), f"bad regex: {error}"
            ) from None
        if self.url_path is not None:
            self.path = self.url_path
        elif self.url is not None and "?" not in self.url:
            self.path = self.url
        self.query: dict[str, dict[str, Any]] = dict(request.get("queryParameters") or {})
        self.headers: dict[str, dict[str, Any]] = {
            k.lower(): v for k, v in (request.get("headers") or {}).items()
        }
        self.body_patterns: list[dict[str, Any]] = list(request.get("bodyPatterns") or [])
        self.specificity = (
            (10 if self.path is not None else 0)
            + len(self.query)
            + len(self.headers)
            + 3 * len(self.body_patterns)
        )
        if "scenarioName" in mapping:
            self.scenario = ScenarioStep(
                str(mapping["scenarioName"]),
                mapping.get("requiredScenarioState"),
                mapping.get("newScenarioState"),
            )
        self._reply = self._build(response, source, f"{where}.response")

    @staticmethod
    def _build(response: dict[str, Any], source: str, where: str) -> StubReply:
        headers: list[tuple[str, str]] = []
        for name, value in (response.get("headers") or {}).items():
            values = value if isinstance(value, list) else [value]
            headers.extend((name.lower(), str(v)) for v in values)
        if "jsonBody" in response:
            body = json.dumps(response["jsonBody"], separators=(",", ":")).encode()
            if not any(n == "content-type" for n, _ in headers):
                headers.append(("content-type", "application/json"))
        elif "base64Body" in response:
            body = base64.b64decode(str(response["base64Body"]))
        else:
            body = str(response.get("body", "")).encode()
        status = response.get("status", 200)
        if not isinstance(status, int):
            raise SourceError(source, Position(path=f"{where}.status"), "expected an integer")
        delay = int(response.get("fixedDelayMilliseconds", 0))
        return StubReply(status, tuple(headers), body, delay)

    def path_pattern(self) -> str:
        return self.url_pattern.pattern if self.url_pattern is not None else (self.url or "*")

    def mismatches(self, request: StubRequest) -> list[str]:
        out: list[str] = []
        if self.method is not None and self.method != request.method:
            out.append(f"method: expected {self.method}, found {request.method}")
        if self.url is not None and self.url != request.target:
            out.append(f"path: expected url {self.url!r}, found {request.target!r}")
        elif self.url_path is not None and self.url_path != request.path:
            out.append(f"path: expected {self.url_path!r}, found {request.path!r}")
        elif self.url_pattern is not None:
            subject = request.path if self.path_pattern_only else request.target
            if self.url_pattern.fullmatch(subject) is None:
                out.append(
                    f"path: expected to match {self.url_pattern.pattern!r}, found {subject!r}"
                )
        for name, pattern in self.query.items():
            values = request.query.get(name)
            problem = _check_value(f"query {name}", pattern, values[0] if values else None)
            if problem:
                out.append(problem)
        for name, pattern in self.headers.items():
            problem = _check_value(f"header {name}", pattern, request.headers.get(name))
            if problem:
                out.append(problem)
        for pattern in self.body_patterns:
            problem = self._body_problem(pattern, request)
            if problem:
                out.append(problem)
        return out

    @staticmethod
    def _body_problem(pattern: dict[str, Any], request: StubRequest) -> str | None:
        if "equalToJson" in pattern:
            want = pattern["equalToJson"]
            if isinstance(want, str):
                want = json.loads(want)
            got = request.json()
            extra = bool(pattern.get("ignoreExtraElements"))
            if got is None or not _json_contains(
                want, got, extra, bool(pattern.get("ignoreArrayOrder"))
            ):
                return f"body: expected JSON equal to {json.dumps(want)}"
            return None
        text = request.body.decode("utf-8", errors="replace")
        return _check_value("body", pattern, text)

    def reply(self, request: StubRequest, context: ReplyContext) -> StubReply:
        return self._reply


def wiremock_mappings(data: Any, source: str) -> list[dict[str, Any]]:
    """The mappings of a WireMock file: one mapping, or `{"mappings": [...]}`."""
    if isinstance(data, dict) and isinstance(data.get("mappings"), list):
        items = data["mappings"]
    elif isinstance(data, dict) and "request" in data:
        items = [data]
    else:
        raise SourceError(
            source, Position(path="$"), 'expected a WireMock mapping or {"mappings": [...]}'
        )
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise SourceError(source, Position(path=f"$.mappings[{index}]"), "expected an object")
    return list(items)


def wiremock_routes(data: Any, service: str, source: str) -> list[StubRoute]:
    """One route per WireMock mapping."""
    return [
        WireMockRoute(mapping, service, source, index)
        for index, mapping in enumerate(wiremock_mappings(data, source))
    ]
