"""Contract against spec without running anything: is each pact interaction one the OpenAPI allows?

The request must fit an operation (path, method, parameters, security, body); the expected response a declared one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.contracts.bodies import body_kind, body_value, mime_type
from interlock.contracts.compat_body import BodyCheck, CompatProblem, Direction
from interlock.contracts.compat_security import api_key_names, request_cookies, security_problems
from interlock.contracts.matching import header_values
from interlock.contracts.model import Body, HttpRequest, HttpResponse, Interaction, Pact
from interlock.contracts.openapi_doc import (
    OpenApiDocument,
    OpenApiOperation,
    coerce_parameter,
    load_openapi,
)
from interlock.contracts.openapi_schema import resolve_ref, validate_schema
from interlock.contracts.pact_reader import load_pact
from interlock.contracts.verification import find_pact_files
from interlock.errors import UserInputError

# Headers every HTTP exchange may carry; a spec does not declare them (OpenAPI even forbids some).
_GENERIC_HEADERS = frozenset(
    {"content-type", "content-length", "date", "connection", "server", "transfer-encoding", "vary"}
)
_IGNORED_REQUEST_HEADERS = frozenset({"accept", "content-type", "authorization"})


@dataclass(frozen=True)
class InteractionCompat:
    """One interaction's verdict: supported when `problems` is empty, skipped for messages."""

    pact_file: str
    consumer: str
    provider: str
    description: str
    operation: str | None
    operation_key: str | None
    problems: tuple[CompatProblem, ...] = ()
    skipped: str | None = None

    @property
    def supported(self) -> bool:
        """No problem found (a skipped interaction is not held against the pact)."""
        return not self.problems


@dataclass(frozen=True)
class CompatReport:
    """Every interaction of the pacts checked against one OpenAPI document."""

    spec_file: str
    provider: str | None
    results: tuple[InteractionCompat, ...]
    ignored_pacts: tuple[str, ...] = field(default=())

    @property
    def supported(self) -> bool:
        """True when the spec supports every interaction."""
        return all(r.supported for r in self.results)


def check_pacts_against_spec(
    pacts: Sequence[Path], spec: Path, provider: str | None = None
) -> CompatReport:
    """Check every HTTP interaction of the pacts for `provider` against the OpenAPI `spec`.

    Without `provider`, the spec's `info.title` is used when some pact names it as its
    provider; otherwise every pact given is checked. Raises `UserInputError` on bad input.
    """
    document = load_openapi(spec)
    loaded = [(str(p), load_pact(p)) for p in find_pact_files(pacts)]
    if not loaded:
        raise UserInputError(f"no pact files found in {', '.join(str(p) for p in pacts)}")
    wanted = provider
    if wanted is None and any(pact.provider == document.title for _, pact in loaded):
        wanted = document.title
    mine = [(f, p) for f, p in loaded if wanted is None or p.provider == wanted]
    if not mine:
        raise UserInputError(f"no pact among {len(loaded)} file(s) has the provider {wanted!r}")
    ignored = tuple(f for f, p in loaded if wanted is not None and p.provider != wanted)
    results = [
        check_interaction(document, pact, i, file) for file, pact in mine for i in pact.interactions
    ]
    return CompatReport(str(spec), wanted, tuple(results), ignored)


def check_interaction(
    document: OpenApiDocument, pact: Pact, interaction: Interaction, pact_file: str = ""
) -> InteractionCompat:
    """One interaction against the document: its operation and every problem found."""
    base = (pact_file, pact.consumer, pact.provider, interaction.description)
    request, response = interaction.request, interaction.response
    if request is None or response is None:
        return InteractionCompat(*base, None, None, skipped="a message interaction (not HTTP)")
    operation, problems = _find_operation(document, request)
    if operation is None:
        return InteractionCompat(*base, None, None, tuple(problems))
    key = operation.key
    problems.extend(_parameter_problems(document, operation, request))
    problems.extend(security_problems(document, operation, request))
    problems.extend(_request_body_problems(document, operation, request))
    problems.extend(_response_problems(document, operation, response))
    return InteractionCompat(*base, operation.label, key, tuple(problems))


def _find_operation(
    document: OpenApiDocument, request: HttpRequest
) -> tuple[OpenApiOperation | None, list[CompatProblem]]:
    method = request.method.upper()
    for path in [request.path, *_without_base(document, request.path)]:
        operation, methods = document.find(method, path)
        if operation is not None:
            return operation, []
        if methods:
            template = next(o for o in document.operations if o.template.match(path) is not None)
            return None, [
                CompatProblem(
                    "request method",
                    f"{template.template.text} allows {', '.join(methods)}",
                    method,
                    f"/paths/{_escape(template.template.text)}",
                    (f"{method} {template.template.shape}",),
                )
            ]
    return None, [
        CompatProblem(
            "request path",
            "no path template matches it",
            f"{method} {request.path}",
            "/paths",
            ("",),
        )
    ]


def _without_base(document: OpenApiDocument, path: str) -> list[str]:
    return [path[len(b) :] or "/" for b in document.base_paths() if path.startswith(b + "/")]


def _parameter_problems(
    document: OpenApiDocument, operation: OpenApiOperation, request: HttpRequest
) -> list[CompatProblem]:
    out: list[CompatProblem] = []
    key = operation.key
    path_values = operation.template.match(request.path) or {}
    if not path_values:
        for base in _without_base(document, request.path):
            path_values = operation.template.match(base) or path_values
    query = {k: list(v) for k, v in (request.query or {}).items()}
    headers = header_values(request.headers)
    cookies = request_cookies(headers.get("cookie", ""))
    declared_query = set(api_key_names(document, "query"))
    for param in operation.parameters:
        name, place = str(param["name"]), str(param["in"])
        if place == "query":
            declared_query.add(name)
        if place == "header" and name.lower() in _IGNORED_REQUEST_HEADERS:
            continue
        raw: list[str]
        if place == "path":
            raw = [path_values[name]] if name in path_values else []
        elif place == "query":
            raw = query.get(name, [])
        elif place == "header":
            sent = headers.get(name.lower())
            raw = [sent] if sent is not None else []
        else:
            raw = [cookies[name]] if name in cookies else []
        where = f"request {place} parameter {name}"
        location = (key, "parameter", place, name.lower() if place == "header" else name)
        pointer = f"{operation.pointer}/parameters"
        if not raw:
            if param.get("required") or place == "path":
                out.append(CompatProblem(where, "it is required", "nothing", pointer, location))
            continue
        schema: Any = param.get("schema")
        if schema is None:
            media: dict[str, Any] = next(iter((param.get("content") or {}).values()), {})
            schema = media.get("schema", {}) if isinstance(media, dict) else {}
        resolved = resolve_ref(schema, document.data)
        if isinstance(resolved, dict) and resolved.get("type") == "array":
            parts = [
                p for r in raw for p in (r.split(",") if param.get("explode") is False else [r])
            ]
            value: Any = [
                coerce_parameter(p, resolved.get("items", {}), document.data) for p in parts
            ]
        else:
            value = coerce_parameter(raw[0], schema, document.data)
        for violation in validate_schema(schema, value, document.data):
            says = violation.split(": ", 1)[-1]
            out.append(CompatProblem(where, says, repr(raw[0]), pointer, location))
    for name in sorted(set(query) - declared_query):
        out.append(
            CompatProblem(
                f"request query parameter {name}",
                "no such parameter",
                repr(query[name][0] if query[name] else ""),
                f"{operation.pointer}/parameters",
                (key, "parameter", "query", name),
            )
        )
    return out


def _media(content: dict[str, Any], mime: str) -> tuple[str, Any] | None:
    by_mime = {mime_type(k): (k, v) for k, v in content.items()}
    for candidate in (mime, f"{mime.split('/', 1)[0]}/*", "*/*"):
        if candidate in by_mime:
            return by_mime[candidate]
    return None


def _body_problems(
    document: OpenApiDocument,
    body: Body,
    content_type: str | None,
    content: dict[str, Any],
    pointer: str,
    rules: Any,
    direction: Direction,
    where: str,
    location: tuple[str, ...],
) -> list[CompatProblem]:
    mime = mime_type(content_type or body.content_type)
    if not mime:
        jsonish = [k for k in content if "json" in k]
        mime = mime_type(jsonish[0] if jsonish else next(iter(content), ""))
    found = _media(content, mime)
    if found is None:
        return [
            CompatProblem(
                f"{where} content type",
                f"one of {', '.join(sorted(content))}",
                mime,
                f"{pointer}/content",
                (*location, "content", mime),
            )
        ]
    media_type, media = found
    schema = (media or {}).get("schema") if isinstance(media, dict) else None
    if schema is None or body_kind(mime, body.content) != "json":
        return []
    check = BodyCheck(document, rules, direction, where, (*location, "body"))
    return check.check(body_value(body), schema, f"{pointer}/content/{_escape(media_type)}/schema")


def _request_body_problems(
    document: OpenApiDocument, operation: OpenApiOperation, request: HttpRequest
) -> list[CompatProblem]:
    spec, pointer = document.resolve_at(
        operation.operation.get("requestBody"), f"{operation.pointer}/requestBody"
    )
    location = (operation.key, "request")
    has_body = request.body.present and not request.body.is_empty
    if not isinstance(spec, dict) or not spec:
        if has_body:
            return [
                CompatProblem(
                    "request body",
                    "no request body",
                    "a body",
                    operation.pointer,
                    (*location, "body"),
                )
            ]
        return []
    if not has_body:
        if spec.get("required"):
            return [
                CompatProblem(
                    "request body", "it is required", "no body", pointer, (*location, "body")
                )
            ]
        return []
    content_type = header_values(request.headers).get("content-type")
    rules = request.matching_rules.get("body", {})
    return _body_problems(
        document,
        request.body,
        content_type,
        spec.get("content") or {},
        pointer,
        rules,
        "request",
        "request body",
        location,
    )


def response_key(responses: dict[str, Any], status: int) -> str | None:
    """The key of `responses` that covers `status`: the code, its range (`4XX`), or `default`."""
    by_upper = {str(k).upper(): str(k) for k in responses}
    for candidate in (str(status), f"{str(status)[0]}XX", "DEFAULT"):
        if candidate in by_upper:
            return by_upper[candidate]
    return None


def _response_problems(
    document: OpenApiDocument, operation: OpenApiOperation, response: HttpResponse
) -> list[CompatProblem]:
    responses: dict[str, Any] = operation.operation["responses"]
    status = response.status if response.status is not None else 200
    code = response_key(responses, status)
    key = operation.key
    if code is None:
        return [
            CompatProblem(
                "response status",
                f"one of {', '.join(str(c) for c in responses)}",
                str(status),
                f"{operation.pointer}/responses",
                (key, "response", str(status)),
            )
        ]
    spec, pointer = document.resolve_at(
        responses[code], f"{operation.pointer}/responses/{_escape(code)}"
    )
    spec = spec if isinstance(spec, dict) else {}
    location = (key, "response", code)
    out: list[CompatProblem] = []
    declared = {str(k).lower(): v for k, v in (spec.get("headers") or {}).items()}
    headers = header_values(response.headers)
    header_rules = (
        response.matching_rules.get("header") or response.matching_rules.get("headers") or {}
    )
    for name, value in headers.items():
        if name in _GENERIC_HEADERS:
            continue
        where = f"response header {name}"
        if name not in declared:
            out.append(
                CompatProblem(
                    where,
                    "no such header",
                    repr(value),
                    f"{pointer}/headers",
                    (*location, "header", name),
                )
            )
            continue
        header = resolve_ref(declared[name], document.data) or {}
        if not any(k.lower() == name for k in header_rules):
            schema = header.get("schema", {}) if isinstance(header, dict) else {}
            for violation in validate_schema(
                schema, coerce_parameter(value, schema, document.data), document.data
            ):
                out.append(
                    CompatProblem(
                        where,
                        violation.split(": ", 1)[-1],
                        repr(value),
                        f"{pointer}/headers",
                        (*location, "header", name),
                    )
                )
    body = response.body
    content = spec.get("content") or {}
    if body.present and not body.is_empty:
        if not content:
            out.append(
                CompatProblem(
                    "response body",
                    f"no body for status {code}",
                    "a body",
                    pointer,
                    (*location, "body"),
                )
            )
        else:
            out.extend(
                _body_problems(
                    document,
                    body,
                    headers.get("content-type"),
                    content,
                    pointer,
                    response.matching_rules.get("body", {}),
                    "response",
                    "response body",
                    location,
                )
            )
    return out


def _escape(text: str) -> str:
    return text.replace("~", "~0").replace("/", "~1")


def compat_to_json(report: CompatReport) -> dict[str, Any]:
    """The report as JSON for machines."""
    return {
        "spec": report.spec_file,
        "provider": report.provider,
        "supported": report.supported,
        "ignored_pacts": list(report.ignored_pacts),
        "interactions": [
            {
                "pact": r.pact_file,
                "consumer": r.consumer,
                "provider": r.provider,
                "description": r.description,
                "operation": r.operation,
                "supported": r.supported,
                "skipped": r.skipped,
                "problems": [
                    {
                        "where": p.where,
                        "spec": p.spec_says,
                        "pact": p.pact_has,
                        "pointer": p.pointer,
                    }
                    for p in r.problems
                ],
            }
            for r in report.results
        ],
    }
