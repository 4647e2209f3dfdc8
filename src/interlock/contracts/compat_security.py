"""Security requirements of an OpenAPI operation, and whether a pact request meets them.

Credentials are recognised by where they travel: an API key header/query/cookie, or `Authorization`.
"""

from __future__ import annotations

from typing import Any

from interlock.contracts.compat_body import CompatProblem
from interlock.contracts.matching import header_values
from interlock.contracts.model import HttpRequest
from interlock.contracts.openapi_doc import OpenApiDocument, OpenApiOperation
from interlock.contracts.openapi_schema import resolve_ref


def request_cookies(header: str) -> dict[str, str]:
    """The cookies of a `Cookie` header by name."""
    out = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            out[name] = value
    return out


def _schemes(document: OpenApiDocument) -> dict[str, Any]:
    components = document.data.get("components") or {}
    schemes = components.get("securitySchemes") or {}
    return (
        {k: resolve_ref(v, document.data) for k, v in schemes.items()}
        if isinstance(schemes, dict)
        else {}
    )


def api_key_names(document: OpenApiDocument, place: str) -> list[str]:
    """The names of the API keys the document's security schemes send in `place` (query...)."""
    return [
        str(s.get("name"))
        for s in _schemes(document).values()
        if isinstance(s, dict) and s.get("type") == "apiKey" and s.get("in") == place
    ]


def security_of(document: OpenApiDocument, operation: OpenApiOperation) -> list[dict[str, Any]]:
    """The operation's security requirements (its own, else the document's); [] when none."""
    found = operation.operation.get("security", document.data.get("security"))
    return [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []


def security_problems(
    document: OpenApiDocument, operation: OpenApiOperation, request: HttpRequest
) -> list[CompatProblem]:
    """A problem when the request carries the credentials of none of the requirements."""
    requirements = security_of(document, operation)
    if not requirements:
        return []
    schemes = _schemes(document)
    headers = header_values(request.headers)
    query = request.query or {}
    cookies = request_cookies(headers.get("cookie", ""))

    def satisfied(name: str) -> bool:
        scheme = schemes.get(name) or {}
        kind, place, key = scheme.get("type"), scheme.get("in"), str(scheme.get("name", ""))
        if kind == "apiKey":
            found = {"header": key.lower() in headers, "query": key in query}
            return found.get(str(place), key in cookies)
        if kind == "mutualTLS":
            return True
        return "authorization" in headers

    if any(all(satisfied(n) for n in requirement) for requirement in requirements):
        return []
    wanted = " or ".join(" and ".join(r) or "none" for r in requirements)
    return [
        CompatProblem(
            "request security",
            f"credentials for {wanted}",
            "none of them",
            f"{operation.pointer}/security",
            (operation.key, "security"),
        )
    ]
