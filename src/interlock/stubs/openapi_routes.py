"""Stub routes from an OpenAPI 3.0/3.1 document: one per operation, requests validated.

The response is the operation's lowest 2xx, its body from an example or made from the schema
(deterministic by seed); a request that breaks the document gets 422 and the list of violations.
"""

from __future__ import annotations

import json
import random
import re
import zlib
from typing import Any

from interlock.contracts import (
    OpenApiOperation,
    coerce_parameter,
    parse_openapi,
    resolve_ref,
    schema_example,
    validate_schema,
)
from interlock.stubs.stub_routes import ReplyContext, StubReply, StubRequest, StubRoute


class OpenApiRoute(StubRoute):
    """One operation of an OpenAPI document."""

    def __init__(
        self, document: dict[str, Any], source: str, operation: OpenApiOperation, seed: int
    ) -> None:
        spec = operation.operation
        template, method = operation.template.text, operation.method
        self.document = document
        self.service = str(document.get("info", {}).get("title", "openapi"))
        self.source = source
        self.method = method.upper()
        self.template = template
        self.path_template = operation.template
        self.id = str(spec.get("operationId") or f"{self.method} {template}")
        self.description = str(spec.get("summary") or self.id)
        names = operation.template.names
        if names:
            self.regex: re.Pattern[str] | None = operation.template.regex
            self.specificity = 10 - len(names)
        else:
            self.regex = None
            self.path = template
            self.specificity = 20
        self.param_names = list(names)
        self.parameters = list(operation.parameters)
        self.body_spec = resolve_ref(spec.get("requestBody"), document) or {}
        rng = random.Random(seed * 1_000_003 + zlib.crc32(f"{method} {template}".encode()))
        responses = spec["responses"]
        codes = sorted(str(c) for c in responses)
        self._replies = {
            code: self._response(responses[code], code, rng) for code in codes if code.isdigit()
        }
        default = next((c for c in codes if c.startswith("2")), codes[0])
        self._reply = self._replies.get(default) or self._response(responses[default], default, rng)

    def path_pattern(self) -> str:
        return self.template

    def _response(self, spec: Any, code: str, rng: random.Random) -> StubReply:
        response = resolve_ref(spec, self.document) or {}
        status = int(code) if code.isdigit() else 200
        content: dict[str, Any] = response.get("content") or {}
        if not content:
            return StubReply(status)
        media_type = next((m for m in content if "json" in m), next(iter(content)))
        media = content[media_type] or {}
        if "example" in media:
            value = media["example"]
        elif isinstance(media.get("examples"), dict) and media["examples"]:
            first = resolve_ref(next(iter(media["examples"].values())), self.document)
            value = first.get("value") if isinstance(first, dict) else None
        else:
            value = schema_example(media.get("schema", {}), self.document, rng)
        if "json" in media_type:
            body = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        else:
            body = str(value if value is not None else "").encode()
        return StubReply(status, (("content-type", media_type),), body)

    def _path_params(self, path: str) -> dict[str, str] | None:
        return self.path_template.match(path)

    def mismatches(self, request: StubRequest) -> list[str]:
        out = []
        if request.method != self.method:
            out.append(f"method: expected {self.method}, found {request.method}")
        if self._path_params(request.path) is None:
            out.append(f"path: expected {self.template!r}, found {request.path!r}")
        return out

    def violations(self, request: StubRequest) -> list[str]:
        """Everything in the request that the document does not allow."""
        out: list[str] = []
        path_values = self._path_params(request.path) or {}
        for param in self.parameters:
            if not isinstance(param, dict):
                continue
            name, place = str(param.get("name")), param.get("in")
            schema = param.get("schema", {})
            if place == "path":
                raw: list[str] = [path_values[name]] if name in path_values else []
            elif place == "query":
                raw = request.query.get(name, [])
            elif place == "header":
                value = request.headers.get(name.lower())
                raw = [value] if value is not None else []
            else:
                continue
            label = f"{place} parameter {name}"
            if not raw:
                if param.get("required") or place == "path":
                    out.append(f"{label}: required but missing")
                continue
            resolved = resolve_ref(schema, self.document)
            if isinstance(resolved, dict) and resolved.get("type") == "array":
                value_of: Any = [
                    coerce_parameter(r, resolved.get("items", {}), self.document) for r in raw
                ]
            else:
                value_of = coerce_parameter(raw[0], schema, self.document)
            out.extend(
                f"{label}: {v.removeprefix('$: ')}"
                for v in validate_schema(schema, value_of, self.document)
            )
        out.extend(self._body_violations(request))
        return out

    def _body_violations(self, request: StubRequest) -> list[str]:
        spec = self.body_spec
        if not spec:
            return []
        if not request.body:
            return ["body: required but missing"] if spec.get("required") else []
        content: dict[str, Any] = spec.get("content") or {}
        sent = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        media = content.get(sent) or (content.get("*/*") if "*/*" in content else None)
        if media is None:
            return [f"header content-type: expected one of {sorted(content)}, found {sent!r}"]
        if "json" not in sent:
            return []
        try:
            value = json.loads(request.body)
        except ValueError:
            return ["body: expected JSON"]
        return [f"body {v}" for v in validate_schema(media.get("schema", {}), value, self.document)]

    def reply(self, request: StubRequest, context: ReplyContext) -> StubReply:
        problems = self.violations(request)
        if problems:
            return StubReply.json(
                422,
                {
                    "error": "request does not match the OpenAPI document",
                    "operation": self.id,
                    "violations": problems,
                },
            )
        prefer = request.headers.get("prefer", "")
        if "code=" in prefer:
            # Prism's convention: `Prefer: code=404` picks another documented response
            wanted = prefer.split("code=", 1)[1].split(",", 1)[0].split(";", 1)[0].strip()
            return self._replies.get(wanted, self._reply)
        return self._reply


def openapi_routes(document: Any, source: str, seed: int) -> tuple[str, list[StubRoute]]:
    """The document's title (the service name) and one route per operation."""
    checked = parse_openapi(document, source)
    name = re.sub(r"[^a-z0-9]+", "-", checked.title.lower()).strip("-") or "openapi"
    routes: list[StubRoute] = []
    for operation in checked.operations:
        route = OpenApiRoute(checked.data, source, operation, seed)
        route.service = name
        routes.append(route)
    return name, routes
